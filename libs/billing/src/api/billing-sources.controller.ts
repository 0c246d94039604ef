import { DomainError } from '@tollgate/core';
import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { QUEUES, QueueBackend } from '@tollgate/storage';
import { BillingSourcesService, sourceView } from '../sources/billing-sources.service';
import { BillingSyncService } from '../sources/billing-sync.service';
import { billingWorkerEnabled } from '../worker/billing-sync.processor';
import { parseOrThrow, syncRequestSchema } from '../sources/billing-source.settings';

/** Billing sources: configure, list, change, sync on demand, read the sync history. */
@Controller('v1/billing/sources')
export class BillingSourcesController {
  constructor(
    @Inject(BillingSourcesService) private readonly sources: BillingSourcesService,
    @Inject(BillingSyncService) private readonly sync: BillingSyncService,
    @Inject(QUEUES) private readonly queues: QueueBackend,
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
    const { period } = parseOrThrow(syncRequestSchema, body ?? {});
    if (billingWorkerEnabled(this.queues)) return this.sources.requestSync(id, period);
    // Embedded queue backend: run now, in this process; the outcome is in the sync history either way.
    await this.sources.get(id);
    try {
      const run = await this.sync.run(id, { period, trigger: 'manual' });
      return { runId: run.id, status: run.status };
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'not_found') throw error;
      return { status: 'failed', error: (error as Error).message };
    }
  }

  @Get(':id/runs')
  async runs(@Param('id') id: string) {
    return { data: await this.sources.history(id) };
  }
}
