import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { BillingSourcesService, sourceView, syncRequestSchema } from '@tollgate/billing';
import { parseOrThrow } from '@tollgate/core';

/** Billing sources: configure, list, change, sync on demand, read the sync history. */
@Controller('v1/billing/sources')
export class BillingSourcesController {
  constructor(
    @Inject(BillingSourcesService) private readonly sources: BillingSourcesService,
  ) {}

  @Post()
  create(@Body() body: unknown) {
    return this.sources.create(body);
  }

  @Get()
  async list() {
    return { data: await this.sources.list() };
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return sourceView(await this.sources.get(id));
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.sources.update(id, body);
  }

  @Post(':id/sync')
  @HttpCode(202)
  async requestSync(@Param('id') id: string, @Body() body: unknown) {
    const { period } = parseOrThrow(syncRequestSchema, body ?? {}, { whole: '(body)' });
    return this.sources.requestSync(id, period);
  }

  @Get(':id/runs')
  async runs(@Param('id') id: string) {
    return { data: await this.sources.history(id) };
  }
}
