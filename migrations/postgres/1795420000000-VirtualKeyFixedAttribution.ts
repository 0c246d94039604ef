import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Virtual keys' fixed attribution (tags no request header may change). Keys issued before it that default to a team
 * get that team fixed, as new keys do: the header override that booked a team's spend elsewhere closes for them too.
 */
export class VirtualKeyFixedAttribution1795420000000 implements MigrationInterface {
  name = 'VirtualKeyFixedAttribution1795420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tollgate.virtual_keys ADD COLUMN IF NOT EXISTS fixed jsonb NOT NULL DEFAULT '{}'::jsonb`);
    await q.query(`UPDATE tollgate.virtual_keys SET fixed = jsonb_build_object('team', defaults->'team') WHERE defaults ? 'team' AND fixed = '{}'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tollgate.virtual_keys DROP COLUMN IF EXISTS fixed`);
  }
}
