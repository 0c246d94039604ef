import { z } from 'zod';

/** Payload of the `billing-sync` queue. */
export const billingSyncJobSchema = z.object({
  sourceId: z.string().uuid(),
  period: z.string().regex(/^\d{4}-\d{2}$/).optional(),
  trigger: z.enum(['schedule', 'manual']),
});
export type BillingSyncJob = z.infer<typeof billingSyncJobSchema>;

/**
 * Retries with exponential backoff (throttled or unreachable provider APIs); bad input is marked unrecoverable by
 * the processor. Deduplicated per source: a sync already waiting or running for the source absorbs a new request.
 */
export function billingSyncJobOptions(sourceId: string) {
  return {
    attempts: 5,
    backoff: { type: 'exponential' as const, delay: 30_000 },
    deduplication: { id: `billing-sync:${sourceId}` },
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 500 },
  };
}

export function schedulerRepeat(schedule: string): { pattern?: string; every?: number } {
  const every = /^@every (\d+)m$/.exec(schedule);
  return every ? { every: Number(every[1]) * 60_000 } : { pattern: schedule };
}
