import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, loadSecretKey } from '@tollgate/core';
import { AuditLogService, AuditModule } from '@tollgate/audit';
import { ApiTokenRepository } from './tokens/api-token.repository';
import { ApiTokenService } from './tokens/api-token.service';

/**
 * Provides the app's one ApiTokenService (one verification cache for every controller that checks tokens).
 * Needs the global StorageModule (DataSource, config).
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
  ],
  exports: [ApiTokenService],
})
export class AuthModule {}
