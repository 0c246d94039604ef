/** The connection the tokens are read and written through (a TypeORM DataSource in the apps). */
export interface ApiTokenQueryRunner {
  query(sql: string, params?: unknown[]): Promise<any>;
}

export const API_TOKEN_SCOPES = ['collector', 'admin', 'proxy'] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

/** An issued token as listed: never the token itself, only the first characters that tell tokens apart. */
export interface ApiTokenRecord {
  id: string;
  name: string;
  scope: ApiTokenScope;
  token_prefix: string;
  created_at: Date;
}

/** The only SQL on `tollgate.api_tokens`. Tokens are stored as their hash (see hashSecret in @tollgate/core). */
export class ApiTokenRepository {
  constructor(private readonly db: ApiTokenQueryRunner) {}

  async insert(token: { name: string; scope: ApiTokenScope; hash: string; prefix: string }): Promise<ApiTokenRecord> {
    const rows = await this.db.query(
      `INSERT INTO tollgate.api_tokens (name, scope, token_hash, token_prefix) VALUES ($1, $2, $3, $4) RETURNING id, name, scope, token_prefix, created_at`,
      [token.name, token.scope, token.hash, token.prefix],
    );
    return rows[0];
  }

  /** Whether a token with this hash is live (not revoked) and of this scope. */
  async isLive(hash: string, scope: ApiTokenScope): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM tollgate.api_tokens WHERE token_hash = $1 AND scope = $2 AND revoked_at IS NULL LIMIT 1`, [hash, scope]);
    return rows.length > 0;
  }

  async countLive(scope: ApiTokenScope): Promise<number> {
    const [{ n }] = await this.db.query(`SELECT count(*)::int AS n FROM tollgate.api_tokens WHERE scope = $1 AND revoked_at IS NULL`, [scope]);
    return n;
  }
}
