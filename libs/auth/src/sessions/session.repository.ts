import type { UserRole } from '../access/role-scopes.policy';

export interface SessionQueryRunner {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** A live session with what the access guard needs of its user. */
export interface LiveSession {
  user_id: string;
  email: string;
  role: UserRole;
  teams: string[] | null;
  csrf_hash: string;
  expires_at: Date;
}

/** The only SQL on `tollgate.user_sessions` and `tollgate.login_links`; both keep hashes only. */
export class SessionRepository {
  constructor(private readonly db: SessionQueryRunner) {}

  async insert(session: { idHash: string; userId: string; csrfHash: string; expiresAt: Date }): Promise<void> {
    await this.db.query(`INSERT INTO tollgate.user_sessions (id_hash, user_id, csrf_hash, expires_at) VALUES ($1, $2, $3, $4)`, [
      session.idHash,
      session.userId,
      session.csrfHash,
      session.expiresAt,
    ]);
  }

  /** The session, if it has not expired and its user is enabled. */
  async findLive(idHash: string): Promise<LiveSession | undefined> {
    const rows = await this.db.query(
      `SELECT s.user_id, u.email, u.role, u.teams, s.csrf_hash, s.expires_at
         FROM tollgate.user_sessions s JOIN tollgate.users u ON u.id = s.user_id
        WHERE s.id_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL`,
      [idHash],
    );
    return rows[0];
  }

  async delete(idHash: string): Promise<void> {
    await this.db.query(`DELETE FROM tollgate.user_sessions WHERE id_hash = $1`, [idHash]);
  }

  /** Ends every session of a user (disabled, role or password changed), and expired sessions of anyone. */
  async deleteForUser(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM tollgate.user_sessions WHERE user_id = $1 OR expires_at < now()`, [userId]);
  }

  async insertLoginLink(link: { tokenHash: string; userId: string; expiresAt: Date }): Promise<void> {
    await this.db.query(`INSERT INTO tollgate.login_links (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`, [link.tokenHash, link.userId, link.expiresAt]);
  }

  /** Marks an unused, unexpired link used and returns its user; undefined when it was used, expired or unknown. */
  async consumeLoginLink(tokenHash: string): Promise<string | undefined> {
    const rows = await this.db.query(
      `WITH used AS (UPDATE tollgate.login_links SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id) SELECT user_id FROM used`,
      [tokenHash],
    );
    return rows[0]?.user_id;
  }
}
