import { Body, Controller, Delete, Get, Inject, Module, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLogService, AuditModule } from '@tollgate/audit';
import { CurrentPrincipal, Principal, RequireScope } from '@tollgate/auth';
import { AppConfig, APP_CONFIG, CredentialCipher, loadSecretKey } from '@tollgate/core';
import { validateAttributionDefaults } from '@tollgate/gateway';
import { PriceOverrideService, overrideJson } from '@tollgate/pricing';
import { ProviderAdminService } from '@tollgate/providers';

/** Who the audit log records: the authenticated principal (the access guard sets it on every non-public route). */
function actorOf(principal: Principal | undefined): string {
  return principal?.name ?? 'api';
}

@Controller('v1')
export class ProvidersController {
  constructor(
    @Inject(ProviderAdminService) private readonly admin: ProviderAdminService,
    @Inject(PriceOverrideService) private readonly priceOverrides: PriceOverrideService,
  ) {}

  @Post('providers')
  @RequireScope('write')
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.createProvider(body, actorOf(principal));
  }

  @Get('providers')
  @RequireScope('read')
  list() {
    return this.admin.listProviders();
  }

  @Put('providers/:id/credentials')
  @RequireScope('admin')
  setCredentials(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.setCredentials(id, body, actorOf(principal));
  }

  @Post('providers/:id/deployments')
  @RequireScope('write')
  createDeployment(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.createDeployment(id, body, actorOf(principal));
  }

  @Get('deployments')
  @RequireScope('read')
  deployments() {
    return this.admin.listDeployments();
  }

  /**
   * The separate proxy's catalogue (credentials decrypted): only with an API token of scope `proxy` (which only an
   * admin can issue) or the channel token derived from TOLLGATE_SECRET_KEY; an admin token does not do. Price overrides
   * travel with it, past ones included (they price requests of their time), so a separate proxy needs no PostgreSQL
   * and its prices and routes are always from the same moment.
   */
  @Get('internal/proxy-catalogue')
  @RequireScope('proxy')
  async catalogue() {
    const [catalogue, overrides] = await Promise.all([this.admin.catalogue(), this.priceOverrides.list({})]);
    return { ...catalogue, price_overrides: overrides.map(overrideJson) };
  }
}

@Controller('v1/keys')
export class VirtualKeysController {
  constructor(@Inject(ProviderAdminService) private readonly admin: ProviderAdminService) {}

  @Post()
  @RequireScope('write')
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.createVirtualKey(body, (defaults) => validateAttributionDefaults(defaults) as Record<string, string>, actorOf(principal));
  }

  @Get()
  @RequireScope('read')
  list() {
    return this.admin.listVirtualKeys();
  }

  @Delete(':id')
  @RequireScope('write')
  revoke(@Param('id', ParseUUIDPipe) id: string, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.revokeVirtualKey(id, actorOf(principal));
  }
}

/** Providers, deployments, credentials (encrypted at rest) and virtual keys. */
@Module({
  imports: [AuditModule],
  controllers: [ProvidersController, VirtualKeysController],
  providers: [
    {
      provide: ProviderAdminService,
      inject: [DataSource, APP_CONFIG, AuditLogService],
      useFactory: (dataSource: DataSource, config: AppConfig, audit: AuditLogService) =>
        new ProviderAdminService(dataSource, new CredentialCipher(loadSecretKey(config), 'provider-credentials'), audit),
    },
  ],
})
export class ProvidersApiModule {}
