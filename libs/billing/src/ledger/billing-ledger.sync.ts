import { ClickHouseClient } from '@clickhouse/client';
import { Logger } from '@tollgate/core';
import { BillingFileIngester, BillingFileRef } from '../files/billing-file.ingester';
import { BillingLedgerRepository, PeriodTotal } from './billing-ledger.repository';

export interface LedgerSyncRequest {
  sourceId: string;
  sourceKind: string;
  syncRunId: string;
  /** Monotonic per source (the run's start in ms); recorded on every line it wrote. */
  ingestVersion: number;
  files?: BillingFileRef[];
  /** Already-normalised lines from an API connector (staging columns). */
  rows?: Record<string, unknown>[];
  /**
   * Billing periods (YYYY-MM-01) this sync restates: each is replaced whole, emptied if no line is left in it,
   * and a line outside them fails the sync. Omitted: exactly the periods the input contains.
   */
  periods?: string[];
  /** With `periods`: drop lines of other periods instead of failing (a month out of multi-month export files). */
  skipOutsidePeriods?: boolean;
}

export interface LedgerSyncResult {
  rows: number;
  periods: string[];
  totals: PeriodTotal[];
  /** Where the time went: staging (ClickHouse reading and mapping the input), validation + totals, the swap. */
  ms: { stage: number; validate: number; swap: number };
}

/**
 * One sync of one source into the ledger: stage every input, validate, swap each period's partition, clear
 * staging. A failure anywhere before the swap leaves the ledger as it was. Syncs of the same source are serialised
 * in this process (they share the source's staging partitions); across processes the BullMQ job id per source does it.
 */
// Per process, not per instance: the api and the worker share one process in embedded mode.
const running = new Map<string, Promise<unknown>>();

export class BillingLedgerSync {
  private readonly logger = new Logger('billing-ledger');
  private readonly repository: BillingLedgerRepository;
  private readonly ingester: BillingFileIngester;

  constructor(clickhouse: ClickHouseClient, pathForClickHouse?: (path: string) => string) {
    this.repository = new BillingLedgerRepository(clickhouse);
    this.ingester = new BillingFileIngester(clickhouse, pathForClickHouse);
  }

  get ledger(): BillingLedgerRepository {
    return this.repository;
  }

  async sync(request: LedgerSyncRequest): Promise<LedgerSyncResult> {
    const previous = running.get(request.sourceId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.syncNow(request));
    running.set(request.sourceId, next);
    try {
      return await next;
    } finally {
      if (running.get(request.sourceId) === next) running.delete(request.sourceId);
    }
  }

  private async syncNow(request: LedgerSyncRequest): Promise<LedgerSyncResult> {
    const started = Date.now();
    const ctx = { sourceId: request.sourceId, sourceKind: request.sourceKind, syncRunId: request.syncRunId, ingestVersion: request.ingestVersion,
      onlyPeriods: request.skipOutsidePeriods ? request.periods : undefined };
    await this.repository.clearStaging(request.sourceId);
    try {
      const t0 = Date.now();
      for (const file of request.files ?? []) await this.ingester.stage(file, ctx);
      if (request.rows?.length) {
        await this.repository.stageRows(request.rows.map((r) => ({ ...r, source_id: ctx.sourceId, source_kind: ctx.sourceKind, sync_run_id: ctx.syncRunId, ingest_version: ctx.ingestVersion })));
      }
      const t1 = Date.now();
      await this.repository.validateStaged(request.sourceId, request.syncRunId, request.periods);
      const totals = await this.repository.stagedTotals(request.sourceId);
      const periods = [...new Set([...(request.periods ?? []), ...totals.map((t) => t.period)])].sort();
      const t2 = Date.now();
      await this.repository.swap(request.sourceId, periods);
      const ms = { stage: t1 - t0, validate: t2 - t1, swap: Date.now() - t2 };
      const rows = totals.reduce((n, t) => n + t.rows, 0);
      this.logger.info('billing sync swapped', { sourceId: request.sourceId, run: request.syncRunId, rows, periods, ms: Date.now() - started, ...ms });
      return { rows, periods, totals, ms };
    } finally {
      // Not fatal once swapped: the next sync of the source clears staging before it starts.
      await this.repository.clearStaging(request.sourceId).catch((error: unknown) => {
        this.logger.warn('could not clear billing staging', { sourceId: request.sourceId, error: (error as Error).message });
      });
    }
  }
}
