import type { AccessScope } from '../access/access.decorators';

/** The connection the tokens are read and written through (a TypeORM DataSource in the apps). */
export interface ApiTokenQueryRunner {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** The scopes a token may be issued with (the table's CHECK constraint holds the same list). */
export const API_TOKEN_SCOPES = ['collector', 'proxy', 'read', 'write', 'admin'] as const satisfies readonly AccessScope[];
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

/** An issued token as listed: never the token itself, only the first characters that tell tokens apart. */
export interface ApiTokenRecord {
  id: string;
  name: string;
  scope: ApiTokenScope;
  /** Teams whose usage, cost and billing data the token may read; null for all. */
  teams: string[] | null;
  token_prefix: string;
  created_by: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

export interface NewApiToken {
  name: string;
  scope: ApiTokenScope;
  hash: string;
  prefix: string;
  teams?: string[] | null;
  createdBy?: string | null;
}

const COLUMNS = 'id, name, scope, teams, token_prefix, created_by, created_at, revoked_at';

/** The only SQL on `tollgate.api_tokens`. Tokens are stored as their hash (see hashSecret in @tollgate/core). */
export class ApiTokenRepository {
  constructor(private readonly db: ApiTokenQueryRunner) {}

  async insert(token: NewApiToken): Promise<ApiTokenRecord> {
    const rows = await this.db.query(
      `INSERT INTO tollgate.api_tokens (name, scope, token_hash, token_prefix, teams, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [token.name, token.scope, token.hash, token.prefix, token.teams ?? null, token.createdBy ?? null],
    );
    return rows[0];
  }

  /** The live (not revoked) token with this hash, if any. */
  async findLive(hash: string): Promise<ApiTokenRecord | undefined> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM tollgate.api_tokens WHERE token_hash = $1 AND revoked_at IS NULL LIMIT 1`, [hash]);
    return rows[0];
  }

  async countLive(scope: ApiTokenScope): Promise<number> {
    const [{ n }] = await this.db.query(`SELECT count(*)::int AS n FROM tollgate.api_tokens WHERE scope = $1 AND revoked_at IS NULL`, [scope]);
    return n;
  }

  /** Every token, newest first, revoked ones included (they say when). */
  async list(): Promise<ApiTokenRecord[]> {
    return this.db.query(`SELECT ${COLUMNS} FROM tollgate.api_tokens ORDER BY created_at DESC, id`);
  }

  /** Marks a live token revoked; returns it with its hash (so caches can forget it), or undefined if none was live. */
  async revoke(id: string): Promise<(ApiTokenRecord & { token_hash: string }) | undefined> {
    const rows = await this.db.query(
      // As a CTE so the driver answers with the rows (a bare UPDATE answers with [rows, count] through TypeORM).
      `WITH revoked AS (UPDATE tollgate.api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}, token_hash) SELECT * FROM revoked`,
      [id],
    );
    return rows[0];
  }
}
