import { ExecutionContext, SetMetadata, createParamDecorator } from '@nestjs/common';

/** What a principal may do; a route requires one of these. */
export const ACCESS_SCOPES = ['collector', 'proxy', 'read', 'write', 'admin'] as const;
export type AccessScope = (typeof ACCESS_SCOPES)[number];

/** Metadata key: the scope a route requires (read by the api's access guard). */
export const REQUIRED_SCOPE = 'tollgate:required-scope';
/** Metadata key: a route anyone may call (health only). */
export const PUBLIC_ROUTE = 'tollgate:public-route';

/**
 * The scope a route requires: `read` (reports, usage, costs, ledger), `write` (configuration changes),
 * `admin` (tokens, users, credentials), `collector` (telemetry intake), `proxy` (the proxy's channel).
 * Put it on every controller class or handler; a route without it (and without @PublicRoute) is refused.
 */
export const RequireScope = (scope: AccessScope) => SetMetadata(REQUIRED_SCOPE, scope);

/** A route that needs no principal (`/healthz`, `/readyz`, the login page). */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

/** Who is calling: an API token or a console user, with what it may do and which teams' data it may read. */
export interface Principal {
  kind: 'token' | 'user';
  id: string;
  /** Token or user name, as the audit log records it. */
  name: string;
  scopes: readonly AccessScope[];
  /** Teams whose usage, cost and billing data it may read; null when it may read every team's. */
  teams: readonly string[] | null;
}

/** The authenticated principal of the request (set by the access guard); undefined on a public route. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal | undefined => {
  return (ctx.switchToHttp().getRequest() as { principal?: Principal }).principal;
});
