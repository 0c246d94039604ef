import { Body, Controller, Delete, Get, Inject, Module, OnApplicationBootstrap, Param, ParseUUIDPipe, Patch, Post, Put } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { z } from 'zod';
import { DataSource } from 'typeorm';
import { AuditLogService, AuditModule } from '@tollgate/audit';
import { CurrentPrincipal, Principal, RequireScope } from '@tollgate/auth';
import { AppConfig, APP_CONFIG, CredentialCipher, Logger, loadSecretKeys } from '@tollgate/core';
import { validateKeyAttribution } from '@tollgate/gateway';
import { PriceOverrideService, overrideJson } from '@tollgate/pricing';
import {
  ProviderAdminService,
  deploymentInputSchema,
  providerCredentialsSchema,
  providerInputSchema,
  virtualKeyCreateSchema,
  virtualKeyUpdateSchema,
  type KeyAttribution,
} from '@tollgate/providers';
import { ApiErrors, zodBody, zodResponse } from '../openapi/zod-openapi';
import {
  PROVIDER_ID,
  catalogueSchema,
  deploymentExample,
  deploymentSchema,
  issuedKeyExample,
  issuedVirtualKeySchema,
  keyListExample,
  providerExample,
  providerSchema,
  revokedKeySchema,
  virtualKeySchema,
} from '../openapi/providers.openapi';

/** The attribution rules of the gateway (tag grammar, a default team fixed unless `fixed` says otherwise). */
const keyAttribution = (defaults: unknown, fixed: unknown) => validateKeyAttribution(defaults, fixed) as KeyAttribution;

/** Who the audit log records: the authenticated principal (the access guard sets it on every non-public route). */
function actorOf(principal: Principal | undefined): string {
  return principal?.name ?? 'api';
}

const idParam = { name: 'id', description: 'the entity id (a UUID)', schema: { type: 'string', format: 'uuid' }, example: PROVIDER_ID } as const;

@ApiTags('providers')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@Controller('v1')
export class ProvidersController {
  constructor(
    @Inject(ProviderAdminService) private readonly admin: ProviderAdminService,
    @Inject(PriceOverrideService) private readonly priceOverrides: PriceOverrideService,
  ) {}

  @Post('providers')
  @ApiOperation({ summary: 'Add an upstream provider', description: 'The `base_url` rule differs per kind: see docs/providers.md. Credentials are encrypted at rest and never returned.' })
  @ApiBody(zodBody(providerInputSchema, { name: 'openai', kind: 'openai', base_url: 'https://api.openai.com/v1', credentials: { apiKey: 'sk-...' } }))
  @ApiCreatedResponse(zodResponse(providerSchema, providerExample, 'The provider (without its credentials)'))
  @ApiErrors(400, 409)
  @RequireScope('write')
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.createProvider(body, actorOf(principal));
  }

  @Get('providers')
  @ApiOperation({ summary: 'List providers' })
  @ApiOkResponse(zodResponse(z.array(providerSchema), [providerExample]))
  @RequireScope('read')
  list() {
    return this.admin.listProviders();
  }

  @Put('providers/:id/credentials')
  @ApiOperation({ summary: "Replace a provider's credentials" })
  @ApiParam(idParam)
  @ApiBody(zodBody(providerCredentialsSchema, { apiKey: 'sk-...' }, 'apiKey (OpenAI, Azure, Anthropic, Gemini), bearerToken (Vertex), or AWS keys (Bedrock)'))
  @ApiOkResponse(zodResponse(providerSchema, providerExample))
  @ApiErrors(400, 404)
  @RequireScope('admin')
  setCredentials(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.setCredentials(id, body, actorOf(principal));
  }

  @Post('providers/:id/deployments')
  @ApiOperation({ summary: 'Deploy a model on a provider', description: 'Makes `model` routable through the proxy; `upstream_model` (default: `model`) is what the provider is sent.' })
  @ApiParam(idParam)
  @ApiBody(zodBody(deploymentInputSchema, { model: 'gpt-4o-mini', provider_account: 'org-acme' }))
  @ApiCreatedResponse(zodResponse(deploymentSchema, deploymentExample))
  @ApiErrors(400, 404, 409)
  @RequireScope('write')
  createDeployment(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.createDeployment(id, body, actorOf(principal));
  }

  @Get('deployments')
  @ApiOperation({ summary: 'List model deployments' })
  @ApiOkResponse(zodResponse(z.array(deploymentSchema), [deploymentExample]))
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
  @ApiOperation({
    summary: "The separate proxy's catalogue",
    description: 'Providers with decrypted credentials, deployments, virtual keys and price overrides. Only with an API token of scope `proxy` (or the channel token derived from TOLLGATE_SECRET_KEY).',
  })
  @ApiOkResponse(zodResponse(catalogueSchema, { targets: [], keys: [], price_overrides: [] }))
  @RequireScope('proxy')
  async catalogue() {
    const [catalogue, overrides] = await Promise.all([this.admin.catalogue(), this.priceOverrides.list({})]);
    return { ...catalogue, price_overrides: overrides.map(overrideJson) };
  }
}

@ApiTags('virtual keys')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@Controller('v1/keys')
export class VirtualKeysController {
  constructor(@Inject(ProviderAdminService) private readonly admin: ProviderAdminService) {}

  @Post()
  @ApiOperation({
    summary: 'Issue a virtual key for the proxy',
    description: 'Apps send it as their OpenAI API key. `defaults` (team, env, feature, customer, …) attribute every request that does not say otherwise; see docs/attribution.md.',
  })
  @ApiBody(zodBody(virtualKeyCreateSchema, { name: 'checkout-service', defaults: { env: 'prod' }, fixed: { team: 'payments' } }))
  @ApiCreatedResponse(zodResponse(issuedVirtualKeySchema, issuedKeyExample, 'The key, shown in this answer only'))
  @ApiErrors(400)
  @RequireScope('write')
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.createVirtualKey(body, keyAttribution, actorOf(principal));
  }

  @Patch(':id')
  @RequireScope('admin')
  @ApiOperation({
    summary: "Change a virtual key's name, attribution or allowed models",
    description:
      '`defaults` are tags a request header may replace; `fixed` tags no header may change (a request that tries gets a 403 ' +
      'naming the header). A default that disagrees with a fixed tag is refused. Recorded in the audit log with before and after.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiBody(zodBody(virtualKeyUpdateSchema, { fixed: { team: 'payments', customer: 'acme' }, defaults: { env: 'prod' } }))
  @ApiOkResponse(
    zodResponse(virtualKeySchema, {
      id: '7d0c6a43-2f4e-4b8a-9a55-0e6f7c1d2b3a',
      name: 'checkout-service',
      key_prefix: 'tg-AbCdEfG',
      defaults: { env: 'prod' },
      fixed: { team: 'payments', customer: 'acme' },
      allowed_models: null,
      created_at: '2026-12-01T10:00:00.000Z',
      revoked_at: null,
    }),
  )
  @ApiErrors(400, 404)
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.admin.updateVirtualKey(id, body, keyAttribution, actorOf(principal));
  }

  @Get()
  @ApiOperation({ summary: 'List virtual keys (without the keys themselves)' })
  @ApiOkResponse(zodResponse(z.array(virtualKeySchema), keyListExample))
  @RequireScope('read')
  list() {
    return this.admin.listVirtualKeys();
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a virtual key', description: 'The proxy refuses it from its next catalogue refresh (within seconds).' })
  @ApiParam({ ...idParam, example: issuedKeyExample.id })
  @ApiOkResponse(zodResponse(revokedKeySchema, { id: issuedKeyExample.id, revoked_at: '2026-11-03T10:00:00.000Z' }))
  @ApiErrors(400, 404)
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
