import { DataSource, EntityManager } from 'typeorm';
import { Logger } from '@tollgate/core';
import { QueueBackend, QueueName } from '@tollgate/storage';
import { RESTATE_JOB_NAME, restatementJobId, restatementJobSchema, type RestatementJob } from './price-restatement.job';

export type RestatementStatus = 'pending' | 'queued' | 'completed' | 'failed';

export interface RestatementRecord {
  job_id: string;
  override_id: string;
  revision: number;
  reason: RestatementJob['reason'];
  status: RestatementStatus;
  payload: RestatementJob;
  result: Record<string, unknown> | null;
  error: string | null;
}

/**
 * Transactional outbox for restatements (tollgate.price_restatements). `add` runs inside the override write's
 * transaction; `dispatch` queues the job after the commit. Queueing may fail (queue store down): the row stays
 * `pending` and `dispatchPending` (the worker's sweep) queues it later. Job ids are deterministic, so a row queued
 * twice runs once.
 */
export class PriceRestatementOutbox {
  private readonly logger = new Logger('pricing-restatement');

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueBackend,
  ) {}

  async add(m: EntityManager, payload: RestatementJob): Promise<string> {
    const job = restatementJobSchema.parse(payload);
    const jobId = restatementJobId(job);
    await m.query(
      `INSERT INTO tollgate.price_restatements (job_id, override_id, revision, reason, payload, requested_by) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
       ON CONFLICT (job_id) DO NOTHING`,
      [jobId, job.override_id, job.revision, job.reason, JSON.stringify(job), job.requested_by],
    );
    return jobId;
  }

  /** Queues one pending restatement; true when queued (or already queued). Failures are logged and left pending. */
  async dispatch(jobId: string): Promise<boolean> {
    const rows: Array<{ payload: RestatementJob; status: RestatementStatus }> = await this.dataSource.query(
      `SELECT payload, status FROM tollgate.price_restatements WHERE job_id = $1`,
      [jobId],
    );
    if (!rows.length) return false;
    if (rows[0].status !== 'pending') return true;
    try {
      await this.queues.queue(QueueName.Pricing).add(RESTATE_JOB_NAME, rows[0].payload, {
        jobId,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 30 * 24 * 3600 },
        removeOnFail: { age: 30 * 24 * 3600 },
      });
    } catch (error) {
      this.logger.error('could not queue the restatement; it stays pending for the sweep', { job_id: jobId, error });
      return false;
    }
    await this.dataSource.query(`UPDATE tollgate.price_restatements SET status = 'queued', queued_at = now() WHERE job_id = $1 AND status = 'pending'`, [jobId]);
    return true;
  }

  /** Queues every pending restatement, oldest first. Returns how many were queued. */
  async dispatchPending(): Promise<number> {
    const rows: Array<{ job_id: string }> = await this.dataSource.query(
      `SELECT job_id FROM tollgate.price_restatements WHERE status = 'pending' ORDER BY requested_at LIMIT 100`,
    );
    let queued = 0;
    for (const row of rows) if (await this.dispatch(row.job_id)) queued++;
    return queued;
  }

  async finish(jobId: string, status: 'completed' | 'failed', outcome: { result?: Record<string, unknown>; error?: string }): Promise<void> {
    await this.dataSource.query(
      `UPDATE tollgate.price_restatements SET status = $2, finished_at = now(), result = $3::jsonb, error = $4 WHERE job_id = $1`,
      [jobId, status, outcome.result ? JSON.stringify(outcome.result) : null, outcome.error ?? null],
    );
  }

  async get(jobId: string): Promise<RestatementRecord | null> {
    const rows: RestatementRecord[] = await this.dataSource.query(
      `SELECT job_id, override_id, revision, reason, status, payload, result, error FROM tollgate.price_restatements WHERE job_id = $1`,
      [jobId],
    );
    return rows[0] ?? null;
  }
}
