import { Body, Controller, Delete, ForbiddenException, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, Principal, RequireScope } from '@tollgate/auth';
import {
  BillingSourcesService,
  EXAMPLE_REMOVAL,
  EXAMPLE_RUN,
  EXAMPLE_SOURCE,
  billingSourceViewSchema,
  createSourceSchema,
  sourceRemovalSchema,
  sourceView,
  syncRequestSchema,
  syncRunViewSchema,
  updateSourceSchema,
} from '@tollgate/billing';
import { parseOrThrow } from '@tollgate/core';
import { ApiErrors } from '../openapi/zod-openapi';

const json = (schema: z.ZodType, example: unknown, io: 'input' | 'output' = 'output') => ({ ...(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as object), example });
const ID = { name: 'id', description: 'The billing source id (uuid)', example: EXAMPLE_SOURCE.id };
const CREATE_EXAMPLE = {
  name: 'aws-data-exports',
  kind: 's3-files',
  settings: { bucket: 'billing-exports', prefix: 'cur/', region: 'us-east-1', format: 'aws-cur' },
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  schedule: '0 */6 * * *',
};

/**
 * Billing sources: configure, list, change, delete, sync on demand, read the sync history. Reads need `read`,
 * changes `write`; a create or change that carries `credentials` needs `admin` as well (checked here, since one
 * route serves both).
 */
@ApiTags('billing')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@Controller('v1/billing/sources')
export class BillingSourcesController {
  constructor(@Inject(BillingSourcesService) private readonly sources: BillingSourcesService) {}

  @Post()
  @RequireScope('write')
  @ApiOperation({ summary: 'Create a billing source (settings per kind; credentials are encrypted and never returned)' })
  @ApiBody({ schema: json(createSourceSchema, CREATE_EXAMPLE, 'input') })
  @ApiResponse({ status: 201, description: 'The source', schema: json(billingSourceViewSchema, EXAMPLE_SOURCE) })
  @ApiErrors(400)
  @ApiErrors(403)
  @ApiErrors(409)
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    requireAdminForCredentials(body, principal);
    return this.sources.create(body, principal?.name);
  }

  @Get()
  @RequireScope('read')
  @ApiOperation({ summary: 'List billing sources' })
  @ApiOkResponse({ schema: json(z.object({ data: z.array(billingSourceViewSchema) }), { data: [EXAMPLE_SOURCE] }) })
  async list() {
    return { data: await this.sources.list() };
  }

  @Get(':id')
  @RequireScope('read')
  @ApiOperation({ summary: 'One billing source' })
  @ApiParam(ID)
  @ApiOkResponse({ schema: json(billingSourceViewSchema, EXAMPLE_SOURCE) })
  @ApiErrors(404)
  async get(@Param('id') id: string) {
    return sourceView(await this.sources.get(id));
  }

  @Patch(':id')
  @RequireScope('write')
  @ApiOperation({
    summary: 'Change a billing source',
    description: 'Changing a host-bearing setting (endpoint, region, authorityHost, apiEndpoint) requires `credentials` in the same request (400 naming `credentials` otherwise).',
  })
  @ApiParam(ID)
  @ApiBody({ schema: json(updateSourceSchema, { schedule: null }, 'input') })
  @ApiOkResponse({ schema: json(billingSourceViewSchema, EXAMPLE_SOURCE) })
  @ApiErrors(400)
  @ApiErrors(403)
  @ApiErrors(404)
  update(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    requireAdminForCredentials(body, principal);
    return this.sources.update(id, body, principal?.name);
  }

  @Delete(':id')
  @RequireScope('write')
  @ApiOperation({ summary: 'Delete a billing source with its ledger lines, GPU allocations and sync history, in one step (audit-logged)' })
  @ApiParam(ID)
  @ApiOkResponse({ description: 'What was removed', schema: json(sourceRemovalSchema, EXAMPLE_REMOVAL) })
  @ApiErrors(404)
  remove(@Param('id') id: string, @CurrentPrincipal() principal: Principal | undefined) {
    return this.sources.remove(id, principal?.name);
  }

  @Post(':id/sync')
  @HttpCode(202)
  @RequireScope('write')
  @ApiOperation({ summary: 'Queue a sync of the source (optionally restating one month)' })
  @ApiParam(ID)
  @ApiBody({ required: false, schema: json(syncRequestSchema, { period: '2025-05' }, 'input') })
  @ApiResponse({ status: 202, description: 'Queued', schema: json(z.object({ jobId: z.string() }), { jobId: '42' }) })
  @ApiErrors(404)
  async requestSync(@Param('id') id: string, @Body() body: unknown) {
    const { period } = parseOrThrow(syncRequestSchema, body ?? {}, { whole: '(body)' });
    return this.sources.requestSync(id, period);
  }

  @Get(':id/runs')
  @RequireScope('read')
  @ApiOperation({ summary: "The source's sync history, newest first (status, rows, totals, inputs, the format read, error and line)" })
  @ApiParam(ID)
  @ApiOkResponse({ schema: json(z.object({ data: z.array(syncRunViewSchema) }), { data: [EXAMPLE_RUN] }) })
  @ApiErrors(404)
  async runs(@Param('id') id: string) {
    return { data: await this.sources.history(id) };
  }
}

/** Setting credentials is an `admin` act even on a `write` route (no principal: the access guard is not installed). */
function requireAdminForCredentials(body: unknown, principal: Principal | undefined): void {
  const hasCredentials = typeof body === 'object' && body !== null && (body as { credentials?: unknown }).credentials !== undefined;
  if (hasCredentials && principal && !principal.scopes.includes('admin')) throw new ForbiddenException('credentials: setting a billing source\'s credentials needs the admin scope');
}
