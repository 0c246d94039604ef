export { AuthModule } from './auth.module';
export { ApiTokenRepository } from './tokens/api-token.repository';
export { ApiTokenService, COLLECTOR_TOKEN_FILE } from './tokens/api-token.service';
export { proxyChannelToken } from './tokens/proxy-channel.token';
