import type { UserRole } from '../access/role-scopes.policy';

export interface UserQueryRunner {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** A console user as listed: never the password hash. */
export interface UserRecord {
  id: string;
  email: string;
  role: UserRole;
  teams: string[] | null;
  has_password: boolean;
  created_at: Date;
  disabled_at: Date | null;
}

export interface UserChange {
  role?: UserRole;
  teams?: string[] | null;
  passwordHash?: string;
  disabled?: boolean;
}

const COLUMNS = 'id, email, role, teams, password_hash IS NOT NULL AS has_password, created_at, disabled_at';

/** The only SQL on `tollgate.users`. */
export class UserRepository {
  constructor(private readonly db: UserQueryRunner) {}

  async insert(user: { email: string; role: UserRole; passwordHash: string | null; teams: string[] | null }): Promise<UserRecord> {
    const rows = await this.db.query(`INSERT INTO tollgate.users (email, role, password_hash, teams) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`, [
      user.email,
      user.role,
      user.passwordHash,
      user.teams,
    ]);
    return rows[0];
  }

  async list(): Promise<UserRecord[]> {
    return this.db.query(`SELECT ${COLUMNS} FROM tollgate.users ORDER BY created_at, email`);
  }

  async get(id: string): Promise<UserRecord | undefined> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM tollgate.users WHERE id = $1`, [id]))[0];
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM tollgate.users WHERE email = $1`, [email]))[0];
  }

  /** The stored password hash of an enabled user, for login only. */
  async loginRecord(email: string): Promise<(UserRecord & { password_hash: string | null }) | undefined> {
    return (await this.db.query(`SELECT ${COLUMNS}, password_hash FROM tollgate.users WHERE email = $1 AND disabled_at IS NULL`, [email]))[0];
  }

  async count(): Promise<number> {
    return (await this.db.query(`SELECT count(*)::int AS n FROM tollgate.users`))[0].n;
  }

  async countEnabledAdmins(): Promise<number> {
    return (await this.db.query(`SELECT count(*)::int AS n FROM tollgate.users WHERE role = 'admin' AND disabled_at IS NULL`))[0].n;
  }

  async update(id: string, change: UserChange): Promise<UserRecord | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (change.role !== undefined) set('role', change.role);
    if (change.teams !== undefined) set('teams', change.teams);
    if (change.passwordHash !== undefined) set('password_hash', change.passwordHash);
    if (change.disabled !== undefined) sets.push(change.disabled ? 'disabled_at = coalesce(disabled_at, now())' : 'disabled_at = NULL');
    if (!sets.length) return this.get(id);
    // As a CTE so the driver answers with the rows (a bare UPDATE answers with [rows, count] through TypeORM).
    return (await this.db.query(`WITH changed AS (UPDATE tollgate.users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}) SELECT * FROM changed`, params))[0];
  }
}
