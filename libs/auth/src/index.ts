export { API_TOKEN_SCOPES, ApiTokenRepository } from './tokens/api-token.repository';
export type { ApiTokenQueryRunner, ApiTokenRecord, ApiTokenScope } from './tokens/api-token.repository';
export { ApiTokenService, COLLECTOR_TOKEN_FILE } from './tokens/api-token.service';
export type { ApiTokenServiceOptions } from './tokens/api-token.service';
export { proxyChannelToken } from './tokens/proxy-channel.token';
export { AuthModule } from './auth.module';
