import { z } from 'zod';
import type { PriceOverride } from '../overrides/price-override';

/** The requests one override change may re-price: provider, optionally one model and one account, over [from, to). */
export const restatementScopeSchema = z.object({
  provider: z.string().min(1),
  model: z.string().min(1).nullable(),
  provider_account: z.string().min(1).nullable(),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }).nullable(),
});
export type RestatementScope = z.infer<typeof restatementScopeSchema>;

/** Payload of a `restate` job on the `pricing` queue. */
export const restatementJobSchema = z.object({
  reason: z.enum(['created', 'corrected', 'deleted']),
  override_id: z.uuid(),
  /** Revision the change produced (created: 1, corrected: n+1; deleted: the last revision). */
  revision: z.number().int().positive(),
  requested_by: z.string().min(1),
  /** A correction restates both its old and its new scope. */
  scopes: z.array(restatementScopeSchema).min(1).max(2),
});
export type RestatementJob = z.infer<typeof restatementJobSchema>;

export const RESTATE_JOB_NAME = 'restate';

/** Deterministic: the same override change never queues two restatements. (BullMQ ids may not contain ':'.) */
export function restatementJobId(job: Pick<RestatementJob, 'override_id' | 'revision' | 'reason'>): string {
  return job.reason === 'deleted' ? `restate-${job.override_id}-deleted` : `restate-${job.override_id}-r${job.revision}`;
}

export function scopeOf(o: PriceOverride): RestatementScope {
  return {
    provider: o.provider,
    model: o.model,
    provider_account: o.provider_account,
    from: o.effective_from.toISOString(),
    to: o.effective_to === null ? null : o.effective_to.toISOString(),
  };
}
