import { AppConfig, ForbiddenError, NotFoundError, UnauthorizedError, UnavailableError } from '@tollgate/core';
import { USER_ROLES, UserRole } from '../access/role-scopes.policy';
import { SessionService, StartedSession } from '../sessions/session.service';
import { UserService } from '../users/user.service';

// openid-client is an ES module: loaded with import() from this CommonJS build, its types named the same way.
type OpenIdClient = typeof import('openid-client', { with: { 'resolution-mode': 'import' } });
type OidcConfiguration = import('openid-client', { with: { 'resolution-mode': 'import' } }).Configuration;

/** What the browser keeps (in a short-lived HttpOnly cookie) between the redirect to the provider and the callback. */
export interface OidcPending {
  state: string;
  nonce: string;
  verifier: string;
}

/** How long the browser has to come back from the identity provider. */
export const OIDC_PENDING_TTL_MS = 10 * 60 * 1000;

/** The most powerful role the claim's values map to, or undefined when none maps. */
export function roleFromClaim(claim: unknown, map: Record<string, UserRole>): UserRole | undefined {
  const values = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  const roles = values.filter((v): v is string => typeof v === 'string' && Object.hasOwn(map, v)).map((v) => map[v]);
  return roles.sort((a, b) => USER_ROLES.indexOf(b) - USER_ROLES.indexOf(a))[0];
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/**
 * Optional OIDC login (authorization code flow with PKCE, state and nonce) through `openid-client`: the provider is
 * discovered once from TOLLGATE_OIDC_ISSUER; the ID token's email names the user, TOLLGATE_OIDC_ROLE_CLAIM mapped
 * through TOLLGATE_OIDC_ROLE_MAP gives the role at every login (a user matching no mapping is refused). A first login
 * creates the user (no password); later logins bring the role up to date. Plain-http issuers only on loopback.
 */
export class OidcLoginService {
  private configuration?: Promise<{ client: OpenIdClient; config: OidcConfiguration }>;

  constructor(
    private readonly appConfig: AppConfig,
    private readonly users: UserService,
    private readonly sessions: SessionService,
  ) {}

  get enabled(): boolean {
    return this.appConfig.TOLLGATE_OIDC_ISSUER !== undefined;
  }

  /** The provider's authorization URL to send the browser to, and what to keep until it comes back. */
  async start(): Promise<{ url: string; pending: OidcPending }> {
    const { client, config } = await this.discover();
    const pending: OidcPending = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.appConfig.TOLLGATE_OIDC_REDIRECT_URL!,
      scope: 'openid email profile',
      response_type: 'code',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, pending };
  }

  /** The callback: exchanges the code, checks the ID token, maps the role and starts a session. */
  async finish(callbackUrl: URL, pending: OidcPending | undefined): Promise<StartedSession> {
    const { client, config } = await this.discover();
    if (!pending) throw new UnauthorizedError('OIDC login expired or was started elsewhere: start again');
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = (tokens.claims() ?? {}) as Record<string, unknown>;
    } catch (error) {
      throw new UnauthorizedError(`OIDC login failed: ${(error as Error).message}`);
    }
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    if (!email) throw new UnauthorizedError('OIDC login failed: the ID token carries no email claim');
    const role = roleFromClaim(claims[this.appConfig.TOLLGATE_OIDC_ROLE_CLAIM], this.appConfig.TOLLGATE_OIDC_ROLE_MAP);
    if (!role) throw new ForbiddenError(`${email} has no Tollgate role: no value of the '${this.appConfig.TOLLGATE_OIDC_ROLE_CLAIM}' claim is in TOLLGATE_OIDC_ROLE_MAP`);
    const existing = await this.users.findByEmail(email);
    if (existing?.disabled_at) throw new ForbiddenError(`${email} is disabled`);
    const user = existing ? await this.users.syncOidcRole(existing, role) : await this.users.createFromOidc(email, role);
    return this.sessions.start(user);
  }

  private discover() {
    if (!this.enabled) throw new NotFoundError('OIDC login configuration', 'TOLLGATE_OIDC_ISSUER');
    this.configuration ??= (async () => {
      const client: OpenIdClient = await import('openid-client');
      const issuer = new URL(this.appConfig.TOLLGATE_OIDC_ISSUER!);
      const insecure = issuer.protocol === 'http:' && isLoopback(issuer);
      const config = await client.discovery(issuer, this.appConfig.TOLLGATE_OIDC_CLIENT_ID!, this.appConfig.TOLLGATE_OIDC_CLIENT_SECRET!, undefined, {
        execute: insecure ? [client.allowInsecureRequests] : [],
      });
      return { client, config };
    })().catch((error: unknown) => {
      // Not remembered: the next login tries the discovery again.
      this.configuration = undefined;
      throw new UnavailableError(`OIDC provider discovery failed: ${(error as Error).message}`);
    });
    return this.configuration;
  }
}
