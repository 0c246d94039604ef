export { AuthModule } from './auth.module';
export { ApiTokenRepository } from './tokens/api-token.repository';
export { ApiTokenService, COLLECTOR_TOKEN_FILE, apiTokenInputSchema } from './tokens/api-token.service';
export { proxyChannelToken } from './tokens/proxy-channel.token';
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
