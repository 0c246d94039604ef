import type { BillingFileRef } from '../files/billing-file.ingester';
import type { BillingSourceEntity } from '../sources/billing-source.entity';
import type { BillingEgressPolicy } from '../egress/billing-egress.policy';
import type { LocalFileRoots } from '../files/local-file.roots';

export interface CollectContext {
  source: BillingSourceEntity;
  settings: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  /** Requested month (YYYY-MM-01); undefined means "what is new since the cursor". */
  period?: string;
  /** Scratch directory for this run (downloads, API answers as files); removed after the run. */
  workDir: string;
  now: Date;
  /** Hosts the connector may call; a URL the remote hands back (a next page) is checked too. */
  egress: BillingEgressPolicy;
  /** Directories a local-files source may read. */
  localRoots: LocalFileRoots;
}

/**
 * The days an API connector asks for: a requested month (clipped to today), or — incremental — from the start of
 * the month `restatementMonths` before the cursor's day (clouds restate recent bills) up to today. UTC, end exclusive.
 */
export function syncWindow(ctx: CollectContext, restatementMonths: number): { start: Date; end: Date } {
  const today = new Date(Date.UTC(ctx.now.getUTCFullYear(), ctx.now.getUTCMonth(), ctx.now.getUTCDate()));
  if (ctx.period) {
    const start = new Date(`${ctx.period}T00:00:00Z`);
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    return { start, end: end > today ? today : end };
  }
  const cursorDay = (ctx.source.sync_cursor as { throughDay?: string } | null)?.throughDay;
  const from = cursorDay ? new Date(`${cursorDay}T00:00:00Z`) : today;
  return { start: new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - restatementMonths, 1)), end: today };
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

/** Whether two cursors' fingerprint maps match, whatever their key order (PostgreSQL's jsonb reorders keys). */
export function sameFingerprints(previous: Record<string, string> | undefined, current: Record<string, string>): boolean {
  if (!previous) return false;
  const keys = Object.keys(current);
  return keys.length === Object.keys(previous).length && keys.every((k) => previous[k] === current[k]);
}
