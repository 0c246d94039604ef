import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AppConfig, ForbiddenError, hashSecret } from '@tollgate/core';
import type { Principal } from '../access/access.decorators';
import { ROLE_SCOPES } from '../access/role-scopes.policy';
import { UserRecord } from '../users/user.repository';
import { UserService } from '../users/user.service';
import { SessionRepository } from './session.repository';

/** How long a one-time login link printed at first start stays valid. */
const LOGIN_LINK_TTL_MS = 24 * 60 * 60 * 1000;

/** What a login hands the browser: the session id (HttpOnly cookie) and its CSRF token (readable cookie and header). */
export interface StartedSession {
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
  user: UserRecord;
}

/** A session the access guard resolved. */
export interface ResolvedSession {
  principal: Principal;
  csrfHash: string;
}

export function userPrincipal(user: Pick<UserRecord, 'id' | 'email' | 'role' | 'teams'>): Principal {
  return { kind: 'user', id: user.id, name: user.email, scopes: ROLE_SCOPES[user.role], teams: user.teams };
}

/**
 * Console sessions, server-side in PostgreSQL: the browser holds a random id, the table its hash, so a leaked table
 * opens no session. Each session has a CSRF token the browser must echo in `x-csrf-token` on writes.
 */
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly users: UserService,
    private readonly config: AppConfig,
  ) {
    users.attachSessions({ endSessionsOf: (userId) => this.sessions.deleteForUser(userId) });
  }

  /** Email and password login: a new session, or undefined when they do not match an enabled user. */
  async login(email: string, password: string): Promise<StartedSession | undefined> {
    const user = await this.users.verifyPassword(email, password);
    return user ? this.start(user) : undefined;
  }

  async start(user: UserRecord): Promise<StartedSession> {
    const sessionId = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.TOLLGATE_SESSION_TTL_HOURS * 3_600_000);
    await this.sessions.insert({ idHash: hashSecret(sessionId), userId: user.id, csrfHash: hashSecret(csrfToken), expiresAt });
    return { sessionId, csrfToken, expiresAt, user };
  }

  async resolve(sessionId: string): Promise<ResolvedSession | undefined> {
    const live = await this.sessions.findLive(hashSecret(sessionId));
    if (!live) return undefined;
    return { principal: userPrincipal({ id: live.user_id, email: live.email, role: live.role, teams: live.teams }), csrfHash: live.csrf_hash };
  }

  /** Throws ForbiddenError unless `presented` is the session's CSRF token. */
  checkCsrf(session: ResolvedSession, presented: string | undefined): void {
    const expected = Buffer.from(session.csrfHash, 'hex');
    const given = Buffer.from(hashSecret(presented ?? ''), 'hex');
    if (!presented || !timingSafeEqual(expected, given)) {
      throw new ForbiddenError('a write with a session cookie needs the x-csrf-token header (the tollgate_csrf cookie of the login)');
    }
  }

  async logout(sessionId: string): Promise<void> {
    await this.sessions.delete(hashSecret(sessionId));
  }

  /** A one-time login link token for a user (printed at first start); valid for a day. */
  async createLoginLink(userId: string): Promise<string> {
    const token = `tgl_${randomBytes(32).toString('base64url')}`;
    await this.sessions.insertLoginLink({ tokenHash: hashSecret(token), userId, expiresAt: new Date(Date.now() + LOGIN_LINK_TTL_MS) });
    return token;
  }

  /** Uses a login link once: a session for its user, or undefined when it was used, expired or unknown. */
  async useLoginLink(token: string): Promise<StartedSession | undefined> {
    const userId = await this.sessions.consumeLoginLink(hashSecret(token));
    if (!userId) return undefined;
    const user = await this.users.get(userId);
    return user && !user.disabled_at ? this.start(user) : undefined;
  }
}
