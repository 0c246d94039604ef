import { z } from 'zod';
import { AppConfig, ConflictError, NotFoundError, parseOrThrow, storeModes } from '@tollgate/core';
import { AuditLogService } from '@tollgate/audit';
import { USER_ROLES } from '../access/role-scopes.policy';
import { PasswordHasher } from './password.hasher';
import { UserRecord, UserRepository } from './user.repository';

const email = z.string().trim().toLowerCase().min(3).max(254).regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');
const password = z.string().min(12, 'must be at least 12 characters').max(1024);
const teams = z.array(z.string().trim().min(1).max(128)).min(1).max(100).nullable();

export const userInputSchema = z
  .object({
    email,
    role: z.enum(USER_ROLES),
    /** Omitted for users who log in through OIDC only. */
    password: password.optional(),
    /** Teams whose usage, cost and billing data the user may read; omitted or null for all. */
    teams: teams.optional(),
  })
  .strict();

export const userChangeSchema = z
  .object({ role: z.enum(USER_ROLES).optional(), password: password.optional(), teams: teams.optional(), disabled: z.boolean().optional() })
  .strict();

/** What a session service needs to know when a user changed in a way that must end their sessions. */
export interface UserSessionsEnder {
  endSessionsOf(userId: string): Promise<void>;
}

/** Console users (`tollgate.users`): created and changed by an admin, passwords hashed with argon2id. */
export class UserService {
  private sessions?: UserSessionsEnder;

  constructor(
    private readonly users: UserRepository,
    private readonly audit: AuditLogService,
    private readonly config: AppConfig,
    private readonly hasher = new PasswordHasher(),
  ) {}

  /** The session service ends a user's sessions when they are disabled or their role or password changes. */
  attachSessions(sessions: UserSessionsEnder): void {
    this.sessions = sessions;
  }

  async create(input: unknown, actor: string): Promise<UserRecord> {
    const data = parseOrThrow(userInputSchema, input, { whole: '(body)', context: 'invalid request' });
    if (await this.users.findByEmail(data.email)) throw new ConflictError(`a user with email '${data.email}' exists`);
    const user = await this.users.insert({
      email: data.email,
      role: data.role,
      passwordHash: data.password ? await this.hasher.hash(data.password) : null,
      teams: data.teams ?? null,
    });
    await this.audit.record({ actor, action: 'user.create', entity: 'user', entityId: user.id, details: { after: user } });
    return user;
  }

  list(): Promise<UserRecord[]> {
    return this.users.list();
  }

  async update(id: string, input: unknown, actor: string): Promise<UserRecord> {
    const data = parseOrThrow(userChangeSchema, input, { whole: '(body)', context: 'invalid request' });
    const before = await this.users.get(id);
    if (!before) throw new NotFoundError('user', id);
    const after = await this.users.update(id, {
      role: data.role,
      teams: data.teams,
      disabled: data.disabled,
      passwordHash: data.password ? await this.hasher.hash(data.password) : undefined,
    });
    if (!after) throw new NotFoundError('user', id);
    if (data.role !== undefined || data.password !== undefined || data.teams !== undefined || data.disabled) await this.sessions?.endSessionsOf(id);
    await this.audit.record({ actor, action: 'user.update', entity: 'user', entityId: id, details: { before, after, password_changed: data.password !== undefined } });
    return after;
  }

  async hasEnabledAdmin(): Promise<boolean> {
    return (await this.users.countEnabledAdmins()) > 0;
  }

  get(id: string): Promise<UserRecord | undefined> {
    return this.users.get(id);
  }

  findByEmail(address: string): Promise<UserRecord | undefined> {
    return this.users.findByEmail(address.trim().toLowerCase());
  }

  /** The enabled user with this email and password; undefined otherwise (in about the same time either way). */
  async verifyPassword(address: string, given: string): Promise<UserRecord | undefined> {
    const record = await this.users.loginRecord(address.trim().toLowerCase());
    const ok = await this.hasher.verify(record?.password_hash, given);
    if (!ok || !record) return undefined;
    const { password_hash: _hash, ...user } = record;
    return user;
  }

  /** Creates a user on first OIDC login (audit-logged as the identity provider's doing). */
  async createFromOidc(address: string, role: UserRecord['role']): Promise<UserRecord> {
    const user = await this.users.insert({ email: address.trim().toLowerCase(), role, passwordHash: null, teams: null });
    await this.audit.record({ actor: 'oidc', action: 'user.create', entity: 'user', entityId: user.id, details: { after: user } });
    return user;
  }

  /** Sets a user's role to what the identity provider says now (audit-logged when it changed). */
  async syncOidcRole(user: UserRecord, role: UserRecord['role']): Promise<UserRecord> {
    if (user.role === role) return user;
    const after = (await this.users.update(user.id, { role }))!;
    await this.audit.record({ actor: 'oidc', action: 'user.update', entity: 'user', entityId: user.id, details: { before: user, after } });
    return after;
  }

  /**
   * First start: with no user yet, creates the admin TOLLGATE_ADMIN_EMAIL — with TOLLGATE_ADMIN_PASSWORD when set,
   * else (embedded mode only) without a password, for a one-time login link. Server mode without the password
   * creates none (TOLLGATE_ADMIN_TOKEN then bootstraps, and an admin creates users).
   */
  async ensureBootstrapAdmin(): Promise<{ created: UserRecord | undefined; needsLoginLink: boolean }> {
    if ((await this.users.count()) > 0) return { created: undefined, needsLoginLink: false };
    const adminPassword = this.config.TOLLGATE_ADMIN_PASSWORD;
    if (!adminPassword && storeModes(this.config).postgres !== 'embedded') return { created: undefined, needsLoginLink: false };
    const user = await this.users.insert({
      email: this.config.TOLLGATE_ADMIN_EMAIL,
      role: 'admin',
      passwordHash: adminPassword ? await this.hasher.hash(adminPassword) : null,
      teams: null,
    });
    await this.audit.record({ actor: 'bootstrap', action: 'user.create', entity: 'user', entityId: user.id, details: { after: user } });
    return { created: user, needsLoginLink: !adminPassword };
  }
}
