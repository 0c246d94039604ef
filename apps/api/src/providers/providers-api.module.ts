import { Body, Controller, Delete, Get, Headers, Inject, Module, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLogService, AuditModule } from '@tollgate/audit';
import { ApiTokenService, AuthModule } from '@tollgate/auth';
import { AppConfig, APP_CONFIG, CredentialCipher, loadSecretKey } from '@tollgate/core';
import { validateAttributionDefaults } from '@tollgate/gateway';
import { PriceOverrideService, overrideJson } from '@tollgate/pricing';
import { ProviderAdminService } from '@tollgate/providers';

@Controller('v1')
export class ProvidersController {
  constructor(
    @Inject(ProviderAdminService) private readonly admin: ProviderAdminService,
    @Inject(PriceOverrideService) private readonly priceOverrides: PriceOverrideService,
    @Inject(ApiTokenService) private readonly tokens: ApiTokenService,
  ) {}

  @Post('providers')
  create(@Body() body: unknown) {
    return this.admin.createProvider(body);
  }

  @Get('providers')
  list() {
    return this.admin.listProviders();
  }

  @Put('providers/:id/credentials')
  setCredentials(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown) {
    return this.admin.setCredentials(id, body);
  }

  @Post('providers/:id/deployments')
  createDeployment(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown) {
    return this.admin.createDeployment(id, body);
  }

  @Get('deployments')
  deployments() {
    return this.admin.listDeployments();
  }

  @Post('api-tokens')
  createToken(@Body() body: unknown) {
    return this.tokens.create(body);
  }

  /**
   * The separate proxy's catalogue (credentials decrypted): only with an API token of scope `proxy`. Price overrides
   * travel with it, past ones included (they price requests of their time), so a separate proxy needs no PostgreSQL
   * and its prices and routes are always from the same moment.
   */
  @Get('internal/proxy-catalogue')
  async catalogue(@Headers('authorization') authorization: string | undefined) {
    await this.tokens.verifyBearer(authorization, 'proxy');
    const [catalogue, overrides] = await Promise.all([this.admin.catalogue(), this.priceOverrides.list({})]);
    return { ...catalogue, price_overrides: overrides.map(overrideJson) };
  }
}

@Controller('v1/keys')
export class VirtualKeysController {
  constructor(@Inject(ProviderAdminService) private readonly admin: ProviderAdminService) {}

  @Post()
  create(@Body() body: unknown) {
    return this.admin.createVirtualKey(body, (defaults) => validateAttributionDefaults(defaults) as Record<string, string>);
  }

  @Get()
  list() {
    return this.admin.listVirtualKeys();
  }

  @Delete(':id')
  revoke(@Param('id', ParseUUIDPipe) id: string) {
    return this.admin.revokeVirtualKey(id);
  }
}

/** Providers, deployments, credentials (encrypted at rest), virtual keys, and API tokens (issued by @tollgate/auth). */
@Module({
  imports: [AuditModule, AuthModule],
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
