import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { BillingSourcesService, createSourceSchema, sourceView, syncRequestSchema, updateSourceSchema } from '@tollgate/billing';
import { parseOrThrow } from '@tollgate/core';
import { ApiErrors, zodBody, zodResponse } from '../openapi/zod-openapi';
import { createSourceExample, sourceExample, sourceSchema, syncRunExample, syncRunSchema } from '../openapi/billing.openapi';

const idParam = { name: 'id', description: 'the billing source id (a UUID)', schema: { type: 'string', format: 'uuid' }, example: sourceExample.id } as const;
import { RequireScope } from '@tollgate/auth';

/** Billing sources: configure, list, change, sync on demand, read the sync history. */
@ApiTags('billing')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@Controller('v1/billing/sources')
export class BillingSourcesController {
  constructor(
    @Inject(BillingSourcesService) private readonly sources: BillingSourcesService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Configure a billing source (cloud bill, export files, OpenCost)',
    description: "Each kind's settings and credentials are in docs/billing-sources.md. Credentials are encrypted at rest and never returned. `schedule` (cron or `@every 30m`) syncs it periodically.",
  })
  @ApiBody(zodBody(createSourceSchema, createSourceExample))
  @ApiCreatedResponse(zodResponse(sourceSchema, sourceExample))
  @ApiErrors(400, 409)
  @RequireScope('write')
  create(@Body() body: unknown) {
    return this.sources.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List billing sources' })
  @ApiOkResponse(zodResponse(z.object({ data: z.array(sourceSchema) }), { data: [sourceExample] }))
  @RequireScope('read')
  async list() {
    return { data: await this.sources.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One billing source' })
  @ApiParam(idParam)
  @ApiOkResponse(zodResponse(sourceSchema, sourceExample))
  @ApiErrors(404)
  @RequireScope('read')
  async get(@Param('id') id: string) {
    return sourceView(await this.sources.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a billing source (name, settings, credentials, schedule, enabled)' })
  @ApiParam(idParam)
  @ApiBody(zodBody(updateSourceSchema, { schedule: '@every 30m', enabled: true }))
  @ApiOkResponse(zodResponse(sourceSchema, { ...sourceExample, schedule: '@every 30m' }))
  @ApiErrors(400, 404, 409)
  @RequireScope('write')
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.sources.update(id, body);
  }

  @Post(':id/sync')
  @RequireScope('write')
  @HttpCode(202)
  @ApiOperation({ summary: 'Sync a source now (queued for the worker)', description: 'A sync of the same source already waiting absorbs this one. Follow it in `GET /v1/billing/sources/{id}/runs`.' })
  @ApiParam(idParam)
  @ApiBody({ ...zodBody(syncRequestSchema, { period: '2025-05' }, 'optional: one billing month to re-read'), required: false })
  @ApiAcceptedResponse(zodResponse(z.object({ jobId: z.string() }), { jobId: '42' }, 'Queued'))
  @ApiErrors(400, 404)
  async requestSync(@Param('id') id: string, @Body() body: unknown) {
    const { period } = parseOrThrow(syncRequestSchema, body ?? {}, { whole: '(body)' });
    return this.sources.requestSync(id, period);
  }

  @Get(':id/runs')
  @ApiOperation({ summary: "A source's sync history (newest first, 50 at most): status, rows and totals per period and currency" })
  @ApiParam(idParam)
  @ApiOkResponse(zodResponse(z.object({ data: z.array(syncRunSchema) }), { data: [syncRunExample] }))
  @ApiErrors(404)
  @RequireScope('read')
  async runs(@Param('id') id: string) {
    return { data: await this.sources.history(id) };
  }
}
