import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { BillingSourcesService, sourceView, syncRequestSchema } from '@tollgate/billing';
import { parseOrThrow } from '@tollgate/core';
import { RequireScope } from '@tollgate/auth';

/** Billing sources: configure, list, change, sync on demand, read the sync history. */
@Controller('v1/billing/sources')
export class BillingSourcesController {
  constructor(
    @Inject(BillingSourcesService) private readonly sources: BillingSourcesService,
  ) {}

  @Post()
  @RequireScope('write')
  create(@Body() body: unknown) {
    return this.sources.create(body);
  }

  @Get()
  @RequireScope('read')
  async list() {
    return { data: await this.sources.list() };
  }

  @Get(':id')
  @RequireScope('read')
  async get(@Param('id') id: string) {
    return sourceView(await this.sources.get(id));
  }

  @Patch(':id')
  @RequireScope('write')
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.sources.update(id, body);
  }

  @Post(':id/sync')
  @RequireScope('write')
  @HttpCode(202)
  async requestSync(@Param('id') id: string, @Body() body: unknown) {
    const { period } = parseOrThrow(syncRequestSchema, body ?? {}, { whole: '(body)' });
    return this.sources.requestSync(id, period);
  }

  @Get(':id/runs')
  @RequireScope('read')
  async runs(@Param('id') id: string) {
    return { data: await this.sources.history(id) };
  }
}
