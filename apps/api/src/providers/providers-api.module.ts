import { Body, Controller, Delete, Get, Headers, Inject, Module, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
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
import { ApiTokenService, AuthModule, apiTokenInputSchema } from '@tollgate/auth';
import { AppConfig, APP_CONFIG, CredentialCipher, loadSecretKey } from '@tollgate/core';
import { validateAttributionDefaults } from '@tollgate/gateway';
import { PriceOverrideService, overrideJson } from '@tollgate/pricing';
import {
  ProviderAdminService,
  deploymentInputSchema,
  providerCredentialsSchema,
  providerInputSchema,
  virtualKeyInputSchema,
} from '@tollgate/providers';
import { ApiErrors, zodBody, zodResponse } from '../openapi/zod-openapi';
import {
  PROVIDER_ID,
  catalogueSchema,
  deploymentExample,
  deploymentSchema,
  issuedApiTokenSchema,
  issuedKeyExample,
  issuedTokenExample,
  issuedVirtualKeySchema,
  keyListExample,
  providerExample,
  providerSchema,
  revokedKeySchema,
  virtualKeySchema,
} from '../openapi/providers.openapi';

const idParam = { name: 'id', description: 'the entity id (a UUID)', schema: { type: 'string', format: 'uuid' }, example: PROVIDER_ID } as const;

@ApiTags('providers')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@Controller('v1')
export class ProvidersController {
  constructor(
    @Inject(ProviderAdminService) private readonly admin: ProviderAdminService,
    @Inject(PriceOverrideService) private readonly priceOverrides: PriceOverrideService,
    @Inject(ApiTokenService) private readonly tokens: ApiTokenService,
  ) {}

  @Post('providers')
  @ApiOperation({ summary: 'Add an upstream provider', description: 'The `base_url` rule differs per kind: see docs/providers.md. Credentials are encrypted at rest and never returned.' })
  @ApiBody(zodBody(providerInputSchema, { name: 'openai', kind: 'openai', base_url: 'https://api.openai.com/v1', credentials: { apiKey: 'sk-...' } }))
  @ApiCreatedResponse(zodResponse(providerSchema, providerExample, 'The provider (without its credentials)'))
  @ApiErrors(400, 409)
  create(@Body() body: unknown) {
    return this.admin.createProvider(body);
  }

  @Get('providers')
  @ApiOperation({ summary: 'List providers' })
  @ApiOkResponse(zodResponse(z.array(providerSchema), [providerExample]))
  list() {
    return this.admin.listProviders();
  }

  @Put('providers/:id/credentials')
  @ApiOperation({ summary: "Replace a provider's credentials" })
  @ApiParam(idParam)
  @ApiBody(zodBody(providerCredentialsSchema, { apiKey: 'sk-...' }, 'apiKey (OpenAI, Azure, Anthropic, Gemini), bearerToken (Vertex), or AWS keys (Bedrock)'))
  @ApiOkResponse(zodResponse(providerSchema, providerExample))
  @ApiErrors(400, 404)
  setCredentials(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown) {
    return this.admin.setCredentials(id, body);
  }

  @Post('providers/:id/deployments')
  @ApiOperation({ summary: 'Deploy a model on a provider', description: 'Makes `model` routable through the proxy; `upstream_model` (default: `model`) is what the provider is sent.' })
  @ApiParam(idParam)
  @ApiBody(zodBody(deploymentInputSchema, { model: 'gpt-4o-mini', provider_account: 'org-acme' }))
  @ApiCreatedResponse(zodResponse(deploymentSchema, deploymentExample))
  @ApiErrors(400, 404, 409)
  createDeployment(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown) {
    return this.admin.createDeployment(id, body);
  }

  @Get('deployments')
  @ApiOperation({ summary: 'List model deployments' })
  @ApiOkResponse(zodResponse(z.array(deploymentSchema), [deploymentExample]))
  deployments() {
    return this.admin.listDeployments();
  }

  @Post('api-tokens')
  @ApiOperation({ summary: 'Issue an API token', description: 'The token is in this answer only; Tollgate stores its hash.' })
  @ApiBody(zodBody(apiTokenInputSchema, { name: 'ci-reader', scope: 'admin' }))
  @ApiCreatedResponse(zodResponse(issuedApiTokenSchema, issuedTokenExample))
  @ApiErrors(400)
  createToken(@Body() body: unknown) {
    return this.tokens.create(body);
  }

  /**
   * The separate proxy's catalogue (credentials decrypted): only with an API token of scope `proxy`. Price overrides
   * travel with it, past ones included (they price requests of their time), so a separate proxy needs no PostgreSQL
   * and its prices and routes are always from the same moment.
   */
  @Get('internal/proxy-catalogue')
  @ApiOperation({
    summary: "The separate proxy's catalogue",
    description: 'Providers with decrypted credentials, deployments, virtual keys and price overrides. Only with an API token of scope `proxy` (or the channel token derived from TOLLGATE_SECRET_KEY).',
  })
  @ApiOkResponse(zodResponse(catalogueSchema, { targets: [], keys: [], price_overrides: [] }))
  async catalogue(@Headers('authorization') authorization: string | undefined) {
    await this.tokens.verifyBearer(authorization, 'proxy');
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
  @ApiBody(zodBody(virtualKeyInputSchema, { name: 'checkout-service', defaults: { team: 'payments', env: 'prod' } }))
  @ApiCreatedResponse(zodResponse(issuedVirtualKeySchema, issuedKeyExample, 'The key, shown in this answer only'))
  @ApiErrors(400)
  create(@Body() body: unknown) {
    return this.admin.createVirtualKey(body, (defaults) => validateAttributionDefaults(defaults) as Record<string, string>);
  }

  @Get()
  @ApiOperation({ summary: 'List virtual keys (without the keys themselves)' })
  @ApiOkResponse(zodResponse(z.array(virtualKeySchema), keyListExample))
  list() {
    return this.admin.listVirtualKeys();
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a virtual key', description: 'The proxy refuses it from its next catalogue refresh (within seconds).' })
  @ApiParam({ ...idParam, example: issuedKeyExample.id })
  @ApiOkResponse(zodResponse(revokedKeySchema, { id: issuedKeyExample.id, revoked_at: '2026-11-03T10:00:00.000Z' }))
  @ApiErrors(400, 404)
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
