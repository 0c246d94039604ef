import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { DomainError, Logger } from '@tollgate/core';
import { BillingSyncService, billingSyncJobSchema } from '@tollgate/billing';
import { AnyWorker, Job, QUEUES, QueueBackend, QueueName } from '@tollgate/storage';

/**
 * Runs `billing-sync` jobs (job schedulers per source and on-demand requests). Thin: parse, run, rethrow. Bad input
 * and bad configuration are unrecoverable (retrying reads the same bad file); unreachable or throttled providers are
 * retried by BullMQ with exponential backoff.
 */
@Injectable()
export class BillingSyncProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('billing-sync-processor');
  private worker?: AnyWorker;

  constructor(
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(BillingSyncService) private readonly sync: BillingSyncService,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = this.queues.worker(QueueName.BillingSync, (job) => this.process(job), { concurrency: 2 });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  async process(job: Job) {
    const parsed = billingSyncJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid billing-sync job: ${parsed.error.message}`);
    const started = Date.now();
    this.logger.info('job started', { queue: QueueName.BillingSync, id: job.id, sourceId: parsed.data.sourceId, trigger: parsed.data.trigger });
    try {
      const run = await this.sync.run(parsed.data.sourceId, { period: parsed.data.period, trigger: parsed.data.trigger, attempt: job.attemptsMade + 1 });
      this.logger.info('job done', { queue: QueueName.BillingSync, id: job.id, rows: run.rows, ms: Date.now() - started });
      return { runId: run.id, rows: run.rows, status: run.status };
    } catch (error) {
      if (error instanceof DomainError && error.kind !== 'unavailable') throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
