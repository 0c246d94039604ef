import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '@tollgate/audit';
import { AuthModule } from '@tollgate/auth';
import { AccessGuard } from './access.guard';
import { ApiTokensController } from './api-tokens.controller';
import { AuditController } from './audit.controller';
import { AuthController } from './auth.controller';
import { OidcController } from './oidc.controller';
import { UsersController } from './users.controller';

/** Who may call the api: the access guard on every route, login and sessions, API tokens, users, the audit log. */
@Module({
  imports: [AuthModule, AuditModule],
  controllers: [AuthController, OidcController, ApiTokensController, UsersController, AuditController],
  providers: [{ provide: APP_GUARD, useClass: AccessGuard }],
})
export class AccessApiModule {}
