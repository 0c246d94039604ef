import { Body, Controller, Delete, Get, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags, ApiCreatedResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiTokenService, CurrentPrincipal, Principal, RequireScope, apiTokenInputSchema } from '@tollgate/auth';
import { openApiSchema } from '../http/openapi-schema';
import { EXAMPLE_TOKEN, apiTokenSchema, issuedApiTokenSchema } from './access-api.schemas';

/** API tokens: issued, listed and revoked by an admin only (a proxy-scope token reads decrypted credentials). */
@ApiTags('access')
@RequireScope('admin')
@Controller('v1/api-tokens')
export class ApiTokensController {
  constructor(@Inject(ApiTokenService) private readonly tokens: ApiTokenService) {}

  @Post()
  @ApiOperation({ summary: 'Issue an API token (the token is in this answer only); `teams` limits the usage, cost and billing data it reads' })
  @ApiBody({ schema: openApiSchema(apiTokenInputSchema), examples: { reader: { value: { name: 'ci-reader', scope: 'read', teams: ['search'] } } } })
  @ApiCreatedResponse({ schema: openApiSchema(issuedApiTokenSchema), example: { ...EXAMPLE_TOKEN, token: 'tgt_Xk3v9QmW0b2cD4eF6gH8iJ0kL2mN4oP6' } })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.tokens.create(body, principal?.name ?? 'api');
  }

  @Get()
  @ApiOperation({ summary: 'Every API token, newest first (revoked ones say when); never the token itself' })
  @ApiOkResponse({ schema: openApiSchema(z.object({ data: z.array(apiTokenSchema) })), example: { data: [EXAMPLE_TOKEN] } })
  async list() {
    return { data: await this.tokens.list() };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API token (refused at once by this api, by others within a minute)' })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({ schema: openApiSchema(apiTokenSchema), example: { ...EXAMPLE_TOKEN, revoked_at: '2026-12-02T10:00:00.000Z' } })
  revoke(@Param('id', ParseUUIDPipe) id: string, @CurrentPrincipal() principal: Principal | undefined) {
    return this.tokens.revoke(id, principal?.name ?? 'api');
  }
}
