import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox of price restatements: an override change writes its restatement here in the same transaction, then it is
 * queued (BullMQ `pricing`, job id = this row's id). A restatement whose queueing failed stays `pending` and is queued
 * again by the worker's sweep, so an accepted change never loses its restatement. The row also keeps the result.
 */
export class PriceRestatements1795310000001 implements MigrationInterface {
  name = 'PriceRestatements1795310000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tollgate.price_restatements (
        job_id text PRIMARY KEY,
        override_id uuid NOT NULL,
        revision integer NOT NULL,
        reason text NOT NULL CHECK (reason IN ('created','corrected','deleted')),
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','queued','completed','failed')),
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        queued_at timestamptz,
        finished_at timestamptz,
        result jsonb,
        error text
      )`);
    await q.query(`CREATE INDEX price_restatements_pending ON tollgate.price_restatements (status, requested_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX price_restatements_override ON tollgate.price_restatements (override_id, requested_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS tollgate.price_restatements`);
  }
}
