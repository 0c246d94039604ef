import { Body, Controller, Delete, Get, Headers, Inject, Module, OnApplicationBootstrap, Param, ParseUUIDPipe, Patch, Post, Put } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DataSource } from 'typeorm';
import { AuditLogService, AuditModule } from '@tollgate/audit';
import { ApiTokenService, AuthModule, CurrentPrincipal, RequireScope, type Principal } from '@tollgate/auth';
import { AppConfig, APP_CONFIG, CredentialCipher, Logger, loadSecretKeys } from '@tollgate/core';
import { validateKeyAttribution } from '@tollgate/gateway';
import { PriceOverrideService, overrideJson } from '@tollgate/pricing';
import { KeyAttribution, ProviderAdminService, virtualKeyUpdateSchema } from '@tollgate/providers';

/** The attribution rules of the gateway (tag grammar, a default team fixed unless `fixed` says otherwise). */
const keyAttribution = (defaults: unknown, fixed: unknown) => validateKeyAttribution(defaults, fixed) as KeyAttribution;

const tags = z.record(z.string(), z.string());
/** A virtual key as the api shows it (never the key itself after creation). */
const virtualKeyView = z.object({
  id: z.string().uuid(),
  name: z.string(),
  key_prefix: z.string(),
  defaults: tags,
  fixed: tags,
  allowed_models: z.array(z.string()).nullable(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
});
const errorBody = z.object({ error: z.object({ type: z.string(), message: z.string(), problems: z.array(z.object({ field: z.string(), reason: z.string() })).optional() }) });

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
    return this.admin.createVirtualKey(body, keyAttribution);
  }

  @Patch(':id')
  @RequireScope('admin')
  @ApiTags('keys')
  @ApiOperation({
    summary: "Change a virtual key's name, attribution or allowed models",
    description:
      '`defaults` are tags a request header may replace; `fixed` tags no header may change (a request that tries gets a 403 ' +
      'naming the header). A default that disagrees with a fixed tag is refused. Recorded in the audit log with before and after.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiBody({
    schema: z.toJSONSchema(virtualKeyUpdateSchema, { io: 'input' }) as object,
    examples: { fixTeamAndCustomer: { value: { fixed: { team: 'payments', customer: 'acme' }, defaults: { env: 'prod' } } } },
  })
  @ApiOkResponse({
    schema: z.toJSONSchema(virtualKeyView) as object,
    example: {
      id: '7d0c6a43-2f4e-4b8a-9a55-0e6f7c1d2b3a',
      name: 'checkout-service',
      key_prefix: 'tg-AbCdEfG',
      defaults: { env: 'prod' },
      fixed: { team: 'payments', customer: 'acme' },
      allowed_models: null,
      created_at: '2026-12-01T10:00:00.000Z',
      revoked_at: null,
    },
  })
  @ApiResponse({ status: 400, description: 'invalid tags or a default that disagrees with a fixed tag', schema: z.toJSONSchema(errorBody) as object })
  @ApiResponse({ status: 404, description: 'no such key', schema: z.toJSONSchema(errorBody) as object })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.updateVirtualKey(id, body, keyAttribution, principal?.name);
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
        new ProviderAdminService(dataSource, CredentialCipher.fromKeys(loadSecretKeys(config), 'provider-credentials'), audit),
    },
  ],
})
export class ProvidersApiModule implements OnApplicationBootstrap {
  constructor(@Inject(ProviderAdminService) private readonly admin: ProviderAdminService) {}

  /** A key rotation finishes here: stored provider credentials move under TOLLGATE_SECRET_KEY before the api serves. */
  async onApplicationBootstrap(): Promise<void> {
    const changed = await this.admin.reencryptCredentials();
    if (changed) new Logger('providers').info('provider credentials re-encrypted under TOLLGATE_SECRET_KEY', { changed });
  }
}
