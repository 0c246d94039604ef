import { MigrationInterface, QueryRunner } from 'typeorm';

/** Sync history details: what started a run, what it read (files or queries), and which attempt it was. */
export class BillingSyncRunDetails1795330000000 implements MigrationInterface {
  name = 'BillingSyncRunDetails1795330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tollgate.billing_sync_runs ADD COLUMN IF NOT EXISTS trigger text NOT NULL DEFAULT 'manual'`);
    await q.query(`ALTER TABLE tollgate.billing_sync_runs ADD COLUMN IF NOT EXISTS inputs jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`ALTER TABLE tollgate.billing_sync_runs ADD COLUMN IF NOT EXISTS attempt integer NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE tollgate.billing_sync_runs ADD COLUMN IF NOT EXISTS error_line integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const column of ['error_line', 'attempt', 'inputs', 'trigger']) {
      await q.query(`ALTER TABLE tollgate.billing_sync_runs DROP COLUMN IF EXISTS ${column}`);
    }
  }
}
