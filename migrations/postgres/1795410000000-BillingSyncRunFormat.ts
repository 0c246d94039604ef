import { MigrationInterface, QueryRunner } from 'typeorm';

/** The layout(s) a sync run read its files as, told (`format`) or detected from the header. */
export class BillingSyncRunFormat1795410000000 implements MigrationInterface {
  name = 'BillingSyncRunFormat1795410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tollgate.billing_sync_runs ADD COLUMN IF NOT EXISTS format text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tollgate.billing_sync_runs DROP COLUMN IF EXISTS format`);
  }
}
