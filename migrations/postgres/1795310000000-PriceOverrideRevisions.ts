import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Price overrides become correctable: a PATCH bumps `revision` (price_ref names `override:<id>@<revision>`, the
 * audit log keeps every revision's values). Discounts are percentages in [0, 100].
 */
export class PriceOverrideRevisions1795310000000 implements MigrationInterface {
  name = 'PriceOverrideRevisions1795310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tollgate.price_overrides ADD COLUMN revision integer NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE tollgate.price_overrides ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`ALTER TABLE tollgate.price_overrides ADD COLUMN updated_by text`);
    await q.query(
      `ALTER TABLE tollgate.price_overrides ADD CONSTRAINT price_overrides_discount_range CHECK (discount_percent IS NULL OR (discount_percent >= 0 AND discount_percent <= 100))`,
    );
    await q.query(`CREATE INDEX price_overrides_scope ON tollgate.price_overrides (provider, kind, effective_from)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS tollgate.price_overrides_scope`);
    await q.query(`ALTER TABLE tollgate.price_overrides DROP CONSTRAINT IF EXISTS price_overrides_discount_range`);
    await q.query(`ALTER TABLE tollgate.price_overrides DROP COLUMN IF EXISTS updated_by`);
    await q.query(`ALTER TABLE tollgate.price_overrides DROP COLUMN IF EXISTS updated_at`);
    await q.query(`ALTER TABLE tollgate.price_overrides DROP COLUMN IF EXISTS revision`);
  }
}
