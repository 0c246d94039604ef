/**
 * Every BullMQ queue Tollgate runs. One enum so producers and processors can't drift apart;
 * each domain lib owns the zod schema of its queue's job payloads.
 */
export enum QueueName {
  /** Platform housekeeping and the self-check job readiness probes use. */
  System = 'system',
  /** Price restatements after an override changes a past period (@tollgate/pricing). */
  Pricing = 'pricing',
  /** Billing source syncs, one job per source (@tollgate/billing). */
  BillingSync = 'billing-sync',
}
