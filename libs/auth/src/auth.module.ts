import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, loadSecretKey } from '@tollgate/core';
import { AuditLogService, AuditModule } from '@tollgate/audit';
import { AccessService } from './access/access.service';
import { AuthBootstrapService } from './auth-bootstrap.service';
import { OidcLoginService } from './oidc/oidc-login.service';
import { SessionRepository } from './sessions/session.repository';
import { SessionService } from './sessions/session.service';
import { ApiTokenRepository } from './tokens/api-token.repository';
import { ApiTokenService } from './tokens/api-token.service';
import { UserRepository } from './users/user.repository';
import { UserService } from './users/user.service';

/**
 * Provides the app's one ApiTokenService (one verification cache), UserService, SessionService, AccessService (one
 * rate limiter), AuthBootstrapService and OidcLoginService. Needs the global StorageModule (DataSource, config).
 */
@Module({
  imports: [AuditModule],
  providers: [
    {
      provide: ApiTokenService,
      inject: [DataSource, APP_CONFIG, AuditLogService],
      useFactory: (dataSource: DataSource, config: AppConfig, audit: AuditLogService) =>
        new ApiTokenService(new ApiTokenRepository(dataSource), audit, config, { secretKey: loadSecretKey(config) }),
    },
    {
      provide: UserService,
      inject: [DataSource, APP_CONFIG, AuditLogService],
      useFactory: (dataSource: DataSource, config: AppConfig, audit: AuditLogService) => new UserService(new UserRepository(dataSource), audit, config),
    },
    {
      provide: SessionService,
      inject: [DataSource, UserService, APP_CONFIG],
      useFactory: (dataSource: DataSource, users: UserService, config: AppConfig) => new SessionService(new SessionRepository(dataSource), users, config),
    },
    {
      provide: AccessService,
      inject: [ApiTokenService, SessionService, APP_CONFIG],
      useFactory: (tokens: ApiTokenService, sessions: SessionService, config: AppConfig) => new AccessService(tokens, sessions, config),
    },
    {
      provide: AuthBootstrapService,
      inject: [ApiTokenService, UserService, SessionService, APP_CONFIG],
      useFactory: (tokens: ApiTokenService, users: UserService, sessions: SessionService, config: AppConfig) => new AuthBootstrapService(tokens, users, sessions, config),
    },
    {
      provide: OidcLoginService,
      inject: [APP_CONFIG, UserService, SessionService],
      useFactory: (config: AppConfig, users: UserService, sessions: SessionService) => new OidcLoginService(config, users, sessions),
    },
  ],
  exports: [ApiTokenService, UserService, SessionService, AccessService, AuthBootstrapService, OidcLoginService],
})
export class AuthModule {}
