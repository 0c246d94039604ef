import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Access control: API tokens get the five access scopes, a team limit and who issued them; console users with a role
 * and an argon2id password hash; server-side sessions and one-time login links, both stored only as hashes.
 */
export class AccessControl1795400000000 implements MigrationInterface {
  name = 'AccessControl1795400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tollgate.api_tokens DROP CONSTRAINT IF EXISTS api_tokens_scope_check`);
    await q.query(`ALTER TABLE tollgate.api_tokens ADD CONSTRAINT api_tokens_scope_check CHECK (scope IN ('collector','proxy','read','write','admin'))`);
    await q.query(`ALTER TABLE tollgate.api_tokens ADD COLUMN IF NOT EXISTS teams text[]`);
    await q.query(`ALTER TABLE tollgate.api_tokens ADD COLUMN IF NOT EXISTS created_by text`);
    await q.query(`
      CREATE TABLE tollgate.users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL UNIQUE,
        role text NOT NULL CHECK (role IN ('viewer','finance','approver','admin')),
        password_hash text,
        teams text[],
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE tollgate.user_sessions (
        id_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES tollgate.users(id) ON DELETE CASCADE,
        csrf_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX user_sessions_user ON tollgate.user_sessions (user_id)`);
    await q.query(`
      CREATE TABLE tollgate.login_links (
        token_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES tollgate.users(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['login_links', 'user_sessions', 'users']) await q.query(`DROP TABLE IF EXISTS tollgate.${table}`);
    await q.query(`ALTER TABLE tollgate.api_tokens DROP COLUMN IF EXISTS created_by`);
    await q.query(`ALTER TABLE tollgate.api_tokens DROP COLUMN IF EXISTS teams`);
    await q.query(`DELETE FROM tollgate.api_tokens WHERE scope NOT IN ('collector','admin','proxy')`);
    await q.query(`ALTER TABLE tollgate.api_tokens DROP CONSTRAINT IF EXISTS api_tokens_scope_check`);
    await q.query(`ALTER TABLE tollgate.api_tokens ADD CONSTRAINT api_tokens_scope_check CHECK (scope IN ('collector','admin','proxy'))`);
  }
}
