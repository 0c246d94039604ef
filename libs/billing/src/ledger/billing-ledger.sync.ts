import { ClickHouseClient } from '@clickhouse/client';
import { Logger } from '@tollgate/core';
import { BillingFileIngester, BillingFileRef, StageContext } from '../files/billing-file.ingester';
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
  /** The layouts the files were read as (told or detected), in file order, each once. */
  formats: string[];
  /** Where the time went: staging (ClickHouse reading and mapping the input), validation + totals, the swap. */
  ms: { stage: number; validate: number; swap: number };
}

/**
 * One sync of one source into the ledger: stage every input, validate, swap each period's partition, clear
 * staging. A failure anywhere before the swap leaves the ledger as it was. Syncs of the same source are serialised
 * in this process (they share the source's staging partitions); across processes BillingSyncService holds a
 * PostgreSQL advisory lock per source around the whole run (BillingSyncLock).
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

  /**
   * Stages the files. Files of export runs go newest run first, each skipping the (period, provider, account) keys a
   * newer run already gave: a restated export replaces the original's lines instead of doubling them.
   */
  private async stageFiles(files: BillingFileRef[], ctx: StageContext): Promise<Set<string>> {
    const formats = new Set<string>();
    if (!files.some((f) => f.exportRun)) {
      for (const file of files) formats.add((await this.ingester.stage(file, ctx)).format);
      return formats;
    }
    const runs = new Map<string, { at: number; files: BillingFileRef[] }>();
    for (const file of files) {
      const id = file.exportRun?.id ?? file.name;
      const run = runs.get(id) ?? { at: file.exportRun?.at ?? 0, files: [] };
      run.at = Math.max(run.at, file.exportRun?.at ?? 0);
      run.files.push(file);
      runs.set(id, run);
    }
    const newestFirst = [...runs.entries()].sort(([a, x], [b, y]) => y.at - x.at || b.localeCompare(a));
    const claimed: string[] = [];
    for (const [, run] of newestFirst) {
      for (const file of run.files) formats.add((await this.ingester.stage(file, { ...ctx, excludeRestated: claimed })).format);
      const keys = await this.repository.stagedRestatementKeys(ctx.sourceId, ctx.syncRunId, run.files.map((f) => f.name));
      claimed.push(...keys.filter((k) => !claimed.includes(k)));
    }
    return formats;
  }

  private async syncNow(request: LedgerSyncRequest): Promise<LedgerSyncResult> {
    const started = Date.now();
    const ctx = { sourceId: request.sourceId, sourceKind: request.sourceKind, syncRunId: request.syncRunId, ingestVersion: request.ingestVersion,
      onlyPeriods: request.skipOutsidePeriods ? request.periods : undefined };
    await this.repository.clearStaging(request.sourceId);
    try {
      const t0 = Date.now();
      const formats = await this.stageFiles(request.files ?? [], ctx);
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
      return { rows, periods, totals, formats: [...formats], ms };
    } finally {
      // Not fatal once swapped: the next sync of the source clears staging before it starts.
      await this.repository.clearStaging(request.sourceId).catch((error: unknown) => {
        this.logger.warn('could not clear billing staging', { sourceId: request.sourceId, error: (error as Error).message });
      });
    }
  }
}
