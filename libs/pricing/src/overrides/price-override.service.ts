import type { EntityManager } from 'typeorm';
import type { PricingService } from '../pricing.service';
import { scopeOf, type RestatementJob } from '../restatement/price-restatement.job';
import type { PriceRestatementOutbox } from '../restatement/price-restatement.outbox';
import type { PriceOverride } from './price-override';
import { parseCorrection, parseCreateOverride } from './price-override.input';
import type { OverrideListFilter, PriceOverrideRepository } from './price-override.repository';

export interface OverrideChange {
  override: PriceOverride;
  /** The restatement when the change touches the past (else null); `queued` false = pending, the worker's sweep queues it. */
  restatement: { job_id: string; queued: boolean } | null;
}

/**
 * Use cases on price overrides: validate, write (overlap check, audit entry and restatement outbox row in one
 * transaction), queue the restatement of the past period it touches, then drop this process's cached snapshot.
 */
export class PriceOverrideService {
  constructor(
    private readonly repository: PriceOverrideRepository,
    private readonly pricing: PricingService,
    private readonly outbox: PriceRestatementOutbox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(filter: OverrideListFilter): Promise<PriceOverride[]> {
    return this.repository.list(filter);
  }

  get(id: string): Promise<PriceOverride> {
    return this.repository.get(id);
  }

  async create(body: unknown, actor: string): Promise<OverrideChange> {
    const draft = parseCreateOverride(body);
    let jobId: string | null = null;
    const override = await this.repository.create(draft, actor, async (row, m) => {
      jobId = await this.planRestatement(m, { reason: 'created', override_id: row.id, revision: row.revision, requested_by: actor, scopes: [scopeOf(row)] });
    });
    return { override, restatement: await this.afterCommit(jobId) };
  }

  async correct(id: string, body: unknown, actor: string): Promise<OverrideChange> {
    const current = await this.repository.get(id);
    const next = parseCorrection(current, body);
    let jobId: string | null = null;
    const { after } = await this.repository.correct(id, next, actor, async ({ before, after }, m) => {
      jobId = await this.planRestatement(m, {
        reason: 'corrected',
        override_id: id,
        revision: after.revision,
        requested_by: actor,
        scopes: [scopeOf(before), scopeOf(after)],
      });
    });
    return { override: after, restatement: await this.afterCommit(jobId) };
  }

  async remove(id: string, actor: string): Promise<OverrideChange> {
    let jobId: string | null = null;
    const before = await this.repository.remove(id, actor, async (row, m) => {
      jobId = await this.planRestatement(m, { reason: 'deleted', override_id: id, revision: row.revision, requested_by: actor, scopes: [scopeOf(row)] });
    });
    return { override: before, restatement: await this.afterCommit(jobId) };
  }

  private async planRestatement(m: EntityManager, job: RestatementJob): Promise<string | null> {
    const now = this.now().getTime();
    const past = job.scopes.filter((s) => Date.parse(s.from) < now);
    if (!past.length) return null;
    // Identical old and new scopes (a price-only correction) need one pass, not two.
    const unique = past.filter((s, i) => past.findIndex((o) => JSON.stringify(o) === JSON.stringify(s)) === i);
    return this.outbox.add(m, { ...job, scopes: unique });
  }

  private async afterCommit(jobId: string | null): Promise<OverrideChange['restatement']> {
    this.pricing.invalidate();
    if (!jobId) return null;
    return { job_id: jobId, queued: await this.outbox.dispatch(jobId) };
  }
}
