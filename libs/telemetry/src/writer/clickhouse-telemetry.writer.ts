import type { ClickHouseClient } from '@clickhouse/client';
import { Logger, UnavailableError } from '@tollgate/core';
import { insertRawBody } from '@tollgate/storage';
import { LlmRequestRow } from '../events/llm-request.row';
import { llmRequestsWriteGate } from '../rollups/llm-requests-write.gate';
import { LlmUsageRollupRepairService, RollupRepairResult } from '../rollups/llm-usage-rollup-repair.service';
import { isOversizedError, isTransientError } from './clickhouse-error.classifier';
import { addPreviousWrites, BatchPlan, keepLatestPerRequest, LlmRequestDedupLookup, planBatch, StoredVersion } from './llm-request-dedup.lookup';
import { encodeTabSeparated, encodeTabSeparatedInSlices, LLM_REQUEST_COLUMNS } from './llm-request.tsv';

export interface TelemetryWriterOptions {
  table?: string;
  /** A buffer this large is flushed at once; also the largest single INSERT. */
  maxBatchRows?: number;
  /** Rows buffered or in flight beyond which `write` refuses (ClickHouse is down: the producer must spool, not grow our heap). */
  maxPendingRows?: number;
  /** A non-empty buffer is flushed at the latest after this long. */
  flushIntervalMs?: number;
  /** Tries per INSERT (and per de-dup lookup) before the batch fails. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Look up each batch's request_ids before inserting so a re-sent event is skipped and a higher version is written
   * as a restatement (with prev_* set). The rollups rely on it; turn off only for a table without rollups.
   */
  dedupe?: boolean;
  /** Called with rows `enqueue`d (fire-and-forget) that could not be written, so the producer can spool them. */
  onBatchFailed?: (rows: LlmRequestRow[], error: Error) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface WriteOutcome {
  /** New requests written. */
  written: number;
  /** Rows whose request_id was already stored at the same or a higher version (re-sends): nothing written. */
  duplicates: number;
  /** Rows written as a newer version of a stored request. */
  restated: number;
}

export interface TelemetryWriterStats extends WriteOutcome {
  batches: number;
  retries: number;
  failedRows: number;
  pendingRows: number;
  lastError?: string;
}

/** Rows that could not be written after every retry; carries them so the caller can spool or re-send. */
export class TelemetryWriteError extends UnavailableError {
  constructor(message: string, readonly rows: LlmRequestRow[], cause?: unknown) {
    super(message, cause);
  }
}

interface Ticket {
  pending: number;
  outcome: WriteOutcome;
  failed?: Error;
  resolve(outcome: WriteOutcome): void;
  reject(error: Error): void;
}

/** Every field is always present, so all entries share one shape (the batch loops run over tens of thousands). */
interface Entry {
  row: LlmRequestRow;
  ticket: Ticket | undefined;
  /** The row as inserted (prev_* filled in for a restatement), once its batch is stored. */
  stored: LlmRequestRow | undefined;
}

/** A stored batch's entries by request_id (those it wrote carry `stored`), or `undefined` if it failed. */
type BatchResult = Map<string, Entry> | undefined;

interface BatchHandle {
  /** Resolves once the batch has decided what to write (its lookup is done); only then may the next one look up. */
  decided: Promise<void>;
  /** Resolves (never rejects) once the batch is stored or has failed. */
  settled: Promise<BatchResult>;
}

/**
 * The one batched writer of `llm_requests`. Rows are buffered and written in batches (on size or interval), one
 * INSERT at a time. Each batch's de-dup lookup runs while the previous batch is being inserted and is then
 * completed with what that batch wrote (or repeated, if it failed), so every batch is decided against every
 * earlier one. Transient errors are retried with exponential backoff and jitter; a batch the server finds too large
 * is split in halves. Failures are never swallowed: `write` rejects, `enqueue`d rows go to `onBatchFailed` and make
 * the next `flush()` reject with them. What the lookup asks and how its answer decides a batch are
 * `llm-request-dedup.lookup.ts`'s.
 */
export class ClickHouseTelemetryWriter {
  private readonly logger = new Logger('telemetry-writer');
  private readonly table: string;
  private readonly opts: Required<Omit<TelemetryWriterOptions, 'onBatchFailed' | 'table'>> & Pick<TelemetryWriterOptions, 'onBatchFailed'>;
  private readonly dedup: LlmRequestDedupLookup;
  private buffer: Entry[] = [];
  private chain: Promise<void> = Promise.resolve();
  /** Nothing in flight: a batch started now looks up after everything before it has settled. */
  private readonly idle: BatchHandle = { decided: Promise.resolve(), settled: Promise.resolve(new Map()) };
  private last = this.idle;
  private timer?: NodeJS.Timeout;
  private inFlightRows = 0;
  private unreported: { rows: LlmRequestRow[]; error: Error }[] = [];
  private closed = false;
  private readonly counters: TelemetryWriterStats = { written: 0, duplicates: 0, restated: 0, batches: 0, retries: 0, failedRows: 0, pendingRows: 0 };
  private readonly repairer: LlmUsageRollupRepairService;
  /** Compare every day before the next batch (a new writer: the last process may have died mid-insert). */
  private repairAllDays = true;
  /** Days of rows whose INSERT failed at least once: part of it may have landed in raw or in some rollups. */
  private readonly suspectDays = new Set<string>();
  /** A repair that failed is tried again before a batch no sooner than this (ms since epoch). */
  private nextRepairAt = 0;

  constructor(
    private readonly client: ClickHouseClient,
    options: TelemetryWriterOptions = {},
  ) {
    this.table = options.table ?? 'llm_requests';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(this.table)) throw new RangeError(`not a table name: ${this.table}`);
    this.opts = {
      maxBatchRows: options.maxBatchRows ?? 20_000,
      maxPendingRows: options.maxPendingRows ?? 500_000,
      flushIntervalMs: options.flushIntervalMs ?? 200,
      maxAttempts: options.maxAttempts ?? 5,
      initialBackoffMs: options.initialBackoffMs ?? 100,
      maxBackoffMs: options.maxBackoffMs ?? 5_000,
      dedupe: options.dedupe ?? true,
      onBatchFailed: options.onBatchFailed,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
    this.dedup = new LlmRequestDedupLookup(client, this.table, (what, op) => this.withRetry(what, op));
    this.repairer = new LlmUsageRollupRepairService(client);
  }

  /**
   * Compares every day of the rollups (and the id index) with the raw table and rebuilds those that disagree, between
   * batches. A writer does it by itself before its first batch; the api calls this at start so that usage reads are
   * exact before any telemetry arrives. Rejects if the repair failed (it is tried again before a later batch).
   */
  reconcile(): Promise<RollupRepairResult | undefined> {
    this.repairAllDays = true;
    this.nextRepairAt = 0;
    const previous = this.last;
    let outcome!: Promise<RollupRepairResult | undefined>;
    const settled = previous.settled.then(() => {
      outcome = this.repairPending(true);
      return outcome.then(() => new Map<string, Entry>(), () => new Map<string, Entry>());
    });
    const handle: BatchHandle = { decided: settled.then(() => undefined), settled };
    this.last = handle;
    void settled.then(() => {
      if (this.last === handle) this.last = this.idle;
    });
    this.chain = settled.then(() => undefined);
    return settled.then(() => outcome);
  }

  stats(): TelemetryWriterStats {
    return { ...this.counters, pendingRows: this.buffer.length + this.inFlightRows };
  }

  /** Buffers rows and resolves once they are stored (or known duplicates); rejects if they could not be written. */
  write(rows: LlmRequestRow[]): Promise<WriteOutcome> {
    if (rows.length === 0) return Promise.resolve({ written: 0, duplicates: 0, restated: 0 });
    this.assertOpen();
    if (this.buffer.length + this.inFlightRows + rows.length > this.opts.maxPendingRows) {
      return Promise.reject(new TelemetryWriteError(`telemetry writer backlog is full (${this.opts.maxPendingRows} rows); retry later`, rows));
    }
    return new Promise<WriteOutcome>((resolve, reject) => {
      const ticket: Ticket = { pending: rows.length, outcome: { written: 0, duplicates: 0, restated: 0 }, resolve, reject };
      for (const row of rows) this.buffer.push({ row, ticket, stored: undefined });
      this.afterAppend();
    });
  }

  /** Fire-and-forget for the proxy's hot path: failures reach `onBatchFailed` and the next `flush()`. */
  enqueue(rows: LlmRequestRow[]): void {
    this.assertOpen();
    if (this.buffer.length + this.inFlightRows + rows.length > this.opts.maxPendingRows) {
      this.fail(rows, new TelemetryWriteError(`telemetry writer backlog is full (${this.opts.maxPendingRows} rows)`, rows));
      return;
    }
    for (const row of rows) this.buffer.push({ row, ticket: undefined, stored: undefined });
    this.afterAppend();
  }

  /**
   * Writes everything buffered so far and waits for it. Rejects with a TelemetryWriteError carrying every
   * `enqueue`d row that failed since the last flush (the proxy spools them on SIGTERM).
   */
  async flush(): Promise<void> {
    await this.startFlush();
    const failures = this.unreported.splice(0);
    if (failures.length) {
      const rows = failures.flatMap((f) => f.rows);
      throw new TelemetryWriteError(`${rows.length} telemetry rows could not be written: ${failures[0].error.message}`, rows, failures[0].error);
    }
  }

  /** Flushes and refuses further rows; for the shutdown coordinator's drain phase. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    const done = this.flush();
    this.closed = true;
    try {
      await done;
    } finally {
      // A batch that failed part-way leaves its days to repair; do it before the process goes.
      if (this.suspectDays.size) await this.repairPending(false).catch(() => undefined);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError('telemetry writer is closed (shutting down)');
  }

  private afterAppend(): void {
    if (this.buffer.length >= this.opts.maxBatchRows) {
      void this.startFlush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.startFlush();
      }, this.opts.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Queues the buffer (in max-size batches) behind the batch in flight; the returned promise never rejects. */
  private startFlush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const entries = this.buffer;
    this.buffer = [];
    for (let i = 0; i < entries.length; i += this.opts.maxBatchRows) {
      const batch = entries.slice(i, i + this.opts.maxBatchRows);
      this.inFlightRows += batch.length;
      const previous = this.last;
      let decide!: () => void;
      const decided = new Promise<void>((resolve) => (decide = resolve));
      const settled = this.writeBatch(batch, previous, decide).finally(() => {
        this.inFlightRows -= batch.length;
      });
      const handle: BatchHandle = { decided, settled };
      this.last = handle;
      // Once stored, a batch's entries are needed by no later lookup: do not keep them alive while the writer idles.
      void settled.then(() => {
        if (this.last === handle) this.last = this.idle;
      });
    }
    this.chain = this.last.settled.then(() => undefined);
    return this.chain;
  }

  /**
   * Looks the batch up while `previous` is still being inserted, then, once it has settled, completes the answer
   * with what it wrote — or asks again if it failed, since part of it may have landed — and inserts. Never rejects.
   */
  private async writeBatch(entries: Entry[], previous: BatchHandle, decide: () => void): Promise<BatchResult> {
    const started = Date.now();
    let lookupMs = 0;
    let insertStarted = 0;
    let plan: BatchPlan<Entry> | undefined;
    const chosen = new Map<string, Entry>();
    try {
      await previous.decided;
      const repeated = keepLatestPerRequest(entries, chosen);
      const unique = [...chosen.values()];
      // A repair (this writer's or another's in this process) may re-index ids after this lookup: then it is asked again.
      const generation = llmRequestsWriteGate.generation;
      const lookupStarted = Date.now();
      let stored = this.opts.dedupe ? await this.dedup.storedVersions(unique.map((e) => e.row)) : new Map<string, StoredVersion>();
      lookupMs = Date.now() - lookupStarted;
      // Encoded now, while the previous INSERT runs; redone below only if that batch changes the answer.
      plan = planBatch(unique, repeated, stored);
      plan.body = await encodeTabSeparatedInSlices(plan.toWrite.map((w) => w.row));
      const before = await previous.settled;
      // Between batches: the previous one has settled and this one has not inserted.
      await this.repairPending(false).catch(() => undefined);
      // From the last look at the answer to the end of the INSERT no repair runs in this process (the gate).
      await llmRequestsWriteGate.shared(async () => {
        if (this.opts.dedupe) {
          if (!before || llmRequestsWriteGate.generation !== generation) {
            const again = Date.now();
            stored = await this.dedup.storedVersions(unique.map((e) => e.row));
            lookupMs += Date.now() - again;
            plan = planBatch(unique, repeated, stored);
          } else if (addPreviousWrites(unique, stored, before)) {
            plan = planBatch(unique, repeated, stored);
          }
        }
        decide();
        const rows = plan!.toWrite.map((w) => w.row);
        insertStarted = Date.now();
        if (rows.length) await this.insertRows(rows, plan!.body ?? (await encodeTabSeparatedInSlices(rows)));
      });
    } catch (error) {
      decide();
      const err = error instanceof Error ? error : new Error(String(error));
      this.counters.failedRows += entries.length;
      this.counters.lastError = err.message;
      this.logger.error('telemetry batch failed after retries', { rows: entries.length, error: err });
      const orphaned: LlmRequestRow[] = [];
      for (const entry of entries) {
        if (entry.ticket) this.settle(entry.ticket, undefined, err);
        else orphaned.push(entry.row);
      }
      if (orphaned.length) this.fail(orphaned, err);
      return undefined;
    }
    for (const w of plan.toWrite) w.entry.stored = w.row;
    this.counters.batches++;
    this.counters.written += plan.toWrite.length - plan.restated;
    this.counters.restated += plan.restated;
    this.counters.duplicates += plan.duplicates.length;
    for (const { entry, row } of plan.toWrite) if (entry.ticket) this.settle(entry.ticket, row.prev_version > 0 ? 'restated' : 'written');
    for (const entry of plan.duplicates) if (entry.ticket) this.settle(entry.ticket, 'duplicates');
    this.logger.debug('telemetry batch written', { rows: plan.toWrite.length, duplicates: plan.duplicates.length, restated: plan.restated, lookupMs, insertMs: Date.now() - insertStarted, ms: Date.now() - started });
    return chosen;
  }

  private settle(ticket: Ticket, kind: keyof WriteOutcome | undefined, error?: Error): void {
    if (kind) ticket.outcome[kind]++;
    if (error && !ticket.failed) ticket.failed = error;
    if (--ticket.pending > 0) return;
    if (ticket.failed) ticket.reject(new TelemetryWriteError(`telemetry rows could not be written: ${ticket.failed.message}`, [], ticket.failed));
    else ticket.resolve(ticket.outcome);
  }

  private fail(rows: LlmRequestRow[], error: Error): void {
    this.unreported.push({ rows, error });
    try {
      this.opts.onBatchFailed?.(rows, error);
    } catch (callbackError) {
      this.logger.error('onBatchFailed callback threw', { error: callbackError });
    }
  }

  /**
   * Runs the repair owed (every day once per writer, or the suspect days) when the table has rollups to repair and
   * nothing is being inserted (called between batches). Resolves with what it did, or undefined if nothing was owed;
   * rejects if it failed, leaving it owed (tried again before a batch after a minute, or on `reconcile()`).
   */
  private async repairPending(force: boolean): Promise<RollupRepairResult | undefined> {
    if (!this.repairAllDays && this.suspectDays.size === 0) return undefined;
    if (!force && Date.now() < this.nextRepairAt) return undefined;
    if (!this.opts.dedupe || !(await this.dedup.hasIdIndex())) {
      this.repairAllDays = false;
      this.suspectDays.clear();
      return undefined;
    }
    const days = this.repairAllDays ? undefined : [...this.suspectDays];
    try {
      const result = await this.repairer.repair(days);
      this.repairAllDays = false;
      for (const day of days ?? []) this.suspectDays.delete(day);
      if (!days) this.suspectDays.clear();
      return result;
    } catch (error) {
      this.nextRepairAt = Date.now() + 60_000;
      this.logger.error('rollup repair failed; tried again before a later batch', { error });
      throw error;
    }
  }

  /** `body` is `rows` encoded; a batch the server finds too large is re-encoded in halves. */
  private async insertRows(rows: LlmRequestRow[], body: Buffer): Promise<void> {
    try {
      await this.withRetry('insert', () => this.insertOnce(rows, body));
    } catch (error) {
      if (rows.length > 1 && isOversizedError(error)) {
        this.logger.warn('telemetry batch too large for the server, splitting', { rows: rows.length });
        const mid = rows.length >> 1;
        const halves = [rows.slice(0, mid), rows.slice(mid)];
        for (const half of halves) await this.insertRows(half, encodeTabSeparated(half));
        return;
      }
      throw error;
    }
  }

  /** One INSERT attempt; a failed one leaves its days suspect, since ClickHouse may have stored it in part. */
  private async insertOnce(rows: LlmRequestRow[], body: Buffer): Promise<void> {
    try {
      await insertRawBody(this.client, {
          table: this.table,
          columns: LLM_REQUEST_COLUMNS,
          format: 'TabSeparated',
          body,
          // Rows carry canonical 'YYYY-MM-DD hh:mm:ss.mmm' UTC times: the strict parser is much faster than best_effort.
          // The rollup views run side by side rather than one after another. The INSERT's threads run at the lowest
          // priority (nice 19, restored after the query): with an embedded ClickHouse they share the cores with the
          // requests being served, and a request must not wait behind telemetry of earlier ones.
          settings: { date_time_input_format: 'basic', parallel_view_processing: 1, os_thread_priority: '19' },
        });
    } catch (error) {
      for (const row of rows) this.suspectDays.add(row.ts.slice(0, 10));
      throw error;
    }
  }

  private async withRetry<T>(what: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (error) {
        if (attempt >= this.opts.maxAttempts || !isTransientError(error)) throw error;
        this.counters.retries++;
        const base = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** (attempt - 1));
        const delay = Math.round(base * (0.5 + Math.random() / 2));
        this.logger.warn('telemetry write failed, retrying', { what, attempt, delayMs: delay, error });
        await this.opts.sleep(delay);
      }
    }
  }
}
