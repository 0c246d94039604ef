import { AppConfig, ForbiddenError, UnauthorizedError } from '@tollgate/core';
import { SessionService } from '../sessions/session.service';
import { ApiTokenService, missingCredentials, requireScope } from '../tokens/api-token.service';
import type { AccessScope, Principal } from './access.decorators';
import { RequestRateLimiter } from './request-rate.limiter';

/** Name of the HttpOnly cookie that carries the session id. */
export const SESSION_COOKIE = 'tollgate_session';
/** Name of the readable cookie that carries the session's CSRF token (the console copies it into the header). */
export const CSRF_COOKIE = 'tollgate_csrf';
/** Header a cookie-authenticated write must carry, holding the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';

/** The parts of an HTTP request access decisions read. */
export interface AccessRequest {
  method: string;
  authorization?: string;
  sessionId?: string;
  csrfToken?: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is calling and whether they may: a bearer token (never cookie-authenticated, so no CSRF check) or a session
 * cookie (writes need the CSRF token); then the per-principal rate limit; then the route's scope (403 without it).
 * A bearer header wins over a cookie, so an API client never trips over a browser's session.
 */
export class AccessService {
  private readonly limiter: RequestRateLimiter;
  private readonly loginLimiter: RequestRateLimiter;

  constructor(
    private readonly tokens: ApiTokenService,
    private readonly sessions: SessionService,
    config: AppConfig,
  ) {
    this.limiter = new RequestRateLimiter(config.TOLLGATE_RATE_LIMIT_PER_MINUTE);
    this.loginLimiter = new RequestRateLimiter(config.TOLLGATE_LOGIN_RATE_LIMIT_PER_MINUTE);
  }

  /** The principal of a request to a route requiring `scope`; throws 401, 403 or RateLimitedError (429). */
  async authorize(request: AccessRequest, scope: AccessScope): Promise<Principal> {
    const principal = await this.authenticate(request, scope);
    this.limiter.take(`${principal.kind}:${principal.id}`);
    requireScope(principal, scope);
    return principal;
  }

  /** The principal without a scope check (a route that declares none is refused after this, with a 403). */
  async authenticate(request: AccessRequest, scope: AccessScope): Promise<Principal> {
    if (request.authorization !== undefined) return this.tokens.principalOfBearer(request.authorization, scope);
    if (!request.sessionId) throw missingCredentials(scope);
    const session = await this.sessions.resolve(request.sessionId);
    if (!session) throw new UnauthorizedError('session expired or logged out: log in again');
    if (!SAFE_METHODS.has(request.method.toUpperCase())) this.sessions.checkCsrf(session, request.csrfToken);
    return session.principal;
  }

  /** Counts a login attempt from `client`; throws RateLimitedError beyond the login limit. */
  countLoginAttempt(client: string): void {
    this.loginLimiter.take(`login:${client}`, 'login attempts');
  }

  /** A route that declares neither a scope nor public access: refused, whoever calls (fail closed). */
  static undeclared(route: string): ForbiddenError {
    return new ForbiddenError(`${route} declares no access scope: refused`);
  }
}
