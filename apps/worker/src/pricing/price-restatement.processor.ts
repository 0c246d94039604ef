import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { Logger } from '@tollgate/core';
import { AuditLogService } from '@tollgate/audit';
import { PriceRestatementOutbox, restatementJobSchema } from '@tollgate/pricing';
import { AnyWorker, Job, QUEUES, QueueBackend, QueueName } from '@tollgate/storage';
import { LlmRequestRestatementService, type RestatementResult } from '@tollgate/telemetry';

export type RestatementJobResult = RestatementResult & { job_id: string; override_id: string; revision: number };

/** How often the worker queues restatements whose queueing failed when their override changed. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Runs `restate` jobs of the `pricing` queue. Thin: checks the payload (a bad one is unrecoverable), has telemetry
 * apply the price change pricing described (its scopes) to `llm_requests`, records the counts (job result, pricing's
 * outbox row, audit log). Also sweeps the outbox for restatements left pending.
 */
@Injectable()
export class PriceRestatementProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('pricing-restatement');
  private worker?: AnyWorker;
  private sweep?: NodeJS.Timeout;

  constructor(
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(LlmRequestRestatementService) private readonly restatement: LlmRequestRestatementService,
    @Inject(PriceRestatementOutbox) private readonly outbox: PriceRestatementOutbox,
    @Inject(AuditLogService) private readonly auditLog: AuditLogService,
  ) {}

  onApplicationBootstrap(): void {
    // One at a time: restatements of overlapping scopes must not interleave their version bumps.
    this.worker = this.queues.worker(QueueName.Pricing, (job) => this.process(job), { concurrency: 1 });
    const sweep = () =>
      this.outbox.dispatchPending().catch((error: unknown) => this.logger.error('restatement sweep failed', { error }));
    // The first sweep waits a little: at boot every worker opens its connections at once.
    this.sweep = setTimeout(() => {
      void sweep();
      this.sweep = setInterval(sweep, SWEEP_INTERVAL_MS);
      this.sweep.unref();
    }, 5_000);
    this.sweep.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweep) clearTimeout(this.sweep);
    await this.worker?.close();
  }

  async process(job: Job): Promise<RestatementJobResult> {
    const started = Date.now();
    const parsed = restatementJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid restate payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const payload = parsed.data;
    const jobId = String(job.id);
    this.logger.info('job started', { queue: QueueName.Pricing, id: jobId, override_id: payload.override_id, reason: payload.reason });
    let result: RestatementResult;
    try {
      result = await this.restatement.restate(payload.scopes);
    } catch (error) {
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await this.outbox.finish(jobId, 'failed', { error: error instanceof Error ? error.message : String(error) });
      }
      throw error;
    }
    const summary: RestatementJobResult = { ...result, job_id: jobId, override_id: payload.override_id, revision: payload.revision };
    await this.outbox.finish(jobId, 'completed', { result: { ...summary } });
    await this.auditLog.record({
      actor: payload.requested_by,
      action: 'price_restatement.completed',
      entity: 'price_restatement',
      entityId: payload.override_id,
      details: { ...summary, reason: payload.reason, scopes: payload.scopes },
    });
    this.logger.info('job done', { queue: QueueName.Pricing, id: jobId, ...result, ms: Date.now() - started });
    return summary;
  }
}
