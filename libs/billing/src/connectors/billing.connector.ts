import type { BillingFileRef } from '../files/billing-file.ingester';
import type { BillingSourceEntity } from '../sources/billing-source.entity';

export interface CollectContext {
  source: BillingSourceEntity;
  settings: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  /** Requested month (YYYY-MM-01); undefined means "what is new since the cursor". */
  period?: string;
  /** Scratch directory for this run (downloads, API answers as files); removed after the run. */
  workDir: string;
  now: Date;
}

export interface CollectedInput {
  files: BillingFileRef[];
  /** OpenCost allocation rows for `gpu_allocations` (instead of ledger files). */
  gpuAllocations?: Record<string, unknown>[];
  /** Periods (YYYY-MM-01) the sync restates; undefined = the periods the files contain. */
  periods?: string[];
  /** Lines outside `periods` are skipped rather than an error (export files hold several months). */
  skipOutsidePeriods?: boolean;
  /** What the run read, for the sync history (file names, queries; never credentials). */
  inputs: string[];
  /** Cursor to store once the run has been swapped in. */
  cursor: Record<string, unknown> | null;
  /** Nothing changed since the cursor: the run succeeds without touching the ledger. */
  unchanged?: boolean;
}

/** Gathers one source's billing data for a sync as files ClickHouse can read. */
export interface BillingConnector {
  collect(ctx: CollectContext): Promise<CollectedInput>;
}

/** Months (YYYY-MM-01) from `from` to `to` inclusive. */
export function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (d <= to) {
    months.push(d.toISOString().slice(0, 10));
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return months;
}
