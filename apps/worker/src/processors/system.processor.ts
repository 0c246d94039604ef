import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { z } from 'zod';
import { Logger } from '@tollgate/core';
import { AnyWorker, Job, QUEUES, QueueBackend, QueueName } from '@tollgate/storage';

/** Payloads of the `system` queue. */
export const selfCheckJobSchema = z.object({ requestedBy: z.string().min(1), note: z.string().max(500).optional() });
export type SelfCheckJob = z.infer<typeof selfCheckJobSchema>;

/**
 * Platform self-check: proves a job can travel producer → queue → worker → result, the path every
 * sync, reconciliation and report job takes. Processors log start and duration and rethrow so BullMQ retries.
 */
@Injectable()
export class SystemProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('system-processor');
  private worker?: AnyWorker;

  constructor(@Inject(QUEUES) private readonly queues: QueueBackend) {}

  onApplicationBootstrap(): void {
    this.worker = this.queues.worker(QueueName.System, (job) => this.process(job), { concurrency: 2 });
  }

  async onApplicationShutdown(): Promise<void> {
    // close() waits for active jobs to finish: SIGTERM drains instead of abandoning work.
    await this.worker?.close();
  }

  async process(job: Job): Promise<{ ok: true; jobId: string; processedAt: string }> {
    const started = Date.now();
    this.logger.info('job started', { queue: QueueName.System, name: job.name, id: job.id });
    const payload = selfCheckJobSchema.parse(job.data);
    const result = { ok: true as const, jobId: String(job.id), processedAt: new Date().toISOString(), requestedBy: payload.requestedBy };
    this.logger.info('job done', { queue: QueueName.System, id: job.id, ms: Date.now() - started });
    return result;
  }
}
