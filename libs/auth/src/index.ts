export { AuthModule } from './auth.module';
export { AuthBootstrapService, type AuthBootstrapNotice } from './auth-bootstrap.service';
export { AccessService, CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, type AccessRequest } from './access/access.service';
export { RateLimitedError, RequestRateLimiter } from './access/request-rate.limiter';
export { ROLE_SCOPES, USER_ROLES, scopesOfToken, type UserRole } from './access/role-scopes.policy';
export { ApiTokenRepository, API_TOKEN_SCOPES, type ApiTokenRecord, type ApiTokenScope } from './tokens/api-token.repository';
export { ADMIN_TOKEN_FILE, ApiTokenService, COLLECTOR_TOKEN_FILE, apiTokenInputSchema } from './tokens/api-token.service';
export { proxyChannelToken } from './tokens/proxy-channel.token';
export { OIDC_PENDING_TTL_MS, OidcLoginService, roleFromClaim, type OidcPending } from './oidc/oidc-login.service';
export { SessionService, userPrincipal, type StartedSession } from './sessions/session.service';
export { UserService, userChangeSchema, userInputSchema } from './users/user.service';
export { type UserRecord } from './users/user.repository';
export {
  ACCESS_SCOPES,
  CurrentPrincipal,
  PUBLIC_ROUTE,
  PublicRoute,
  REQUIRED_SCOPE,
  RequireScope,
  type AccessScope,
  type Principal,
} from './access/access.decorators';
