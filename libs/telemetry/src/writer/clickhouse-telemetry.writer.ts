import type { ClickHouseClient } from '@clickhouse/client';
import { Logger, UnavailableError } from '@tollgate/core';
import { insertRawBody } from '@tollgate/storage';
import { LlmRequestRow } from '../events/llm-request.row';
import { isOversizedError, isTransientError } from './clickhouse-error.classifier';
import { encodeTabSeparated, encodeTabSeparatedInSlices, LLM_REQUEST_COLUMNS, tsvText } from './llm-request.tsv';

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

interface StoredVersion {
  version: number;
  estimated_cost: string;
  provider_cost: string;
}

/** A stored batch's entries by request_id (those it wrote carry `stored`), or `undefined` if it failed. */
type BatchResult = Map<string, Entry> | undefined;

interface BatchHandle {
  /** Resolves once the batch has decided what to write (its lookup is done); only then may the next one look up. */
  decided: Promise<void>;
  /** Resolves (never rejects) once the batch is stored or has failed. */
  settled: Promise<BatchResult>;
}

/** What a batch writes once looked up: the rows (restated ones with prev_* filled in) and their encoded body. */
interface BatchPlan {
  toWrite: { entry: Entry; row: LlmRequestRow }[];
  duplicates: Entry[];
  restated: number;
  body?: Buffer;
}

/**
 * Characters of request_ids per de-dup lookup query (escaped, one per line), so the `ids` query
 * parameter stays under a server's 1 MiB URI limit even URL-encoded; a full batch of typical ids takes one or two.
 */
const LOOKUP_CHUNK_CHARS = 256 * 1024;

/** Parameters of `dedupLookupSql`: the batch's days and ts range, and its request_ids as TabSeparated lines. */
export type DedupLookupParams = {
  days: string[];
  min_ts: string;
  max_ts: string;
  ids: string;
};

/**
 * The de-dup lookup: the latest stored version (and its money) of each of a batch's request_ids. A re-send carries
 * the same ts, so only the batch's time window can hold its duplicates; on `llm_requests` the `by_ts` projection
 * (migration 0012) serves the window from granules sorted by ts, so the lookup does not grow with the day's rows.
 * The ids come as one TabSeparated text read by the format parser: an Array(String) parameter goes through the
 * literal parser and the analyzer instead, ~30 % more CPU for a 4,000-id batch and ~35 % for 10,000 on chDB.
 */
export function dedupLookupSql(table: string): string {
  return `SELECT request_id, max(version) AS stored_version, argMax(estimated_cost, version) AS stored_cost,
            argMax(ifNull(provider_cost, toDecimal128(0, 12)), version) AS stored_provider_cost
          FROM ${table}
          WHERE toDate(ts) IN {days:Array(Date)}
            AND ts BETWEEN {min_ts:DateTime64(3, 'UTC')} AND {max_ts:DateTime64(3, 'UTC')}
            AND request_id IN (SELECT id FROM format(TabSeparated, 'id String', {ids:String}))
          GROUP BY request_id`;
}

/**
 * The one batched writer of `llm_requests`. Rows are buffered and written in batches (on size or interval), one
 * INSERT at a time. Each batch's de-dup lookup runs while the previous batch is being inserted and is then
 * completed with what that batch wrote (or repeated, if it failed), so every batch is decided against every
 * earlier one. Transient errors are retried with exponential backoff and jitter; a batch the server finds too large
 * is split in halves. Failures are never swallowed: `write` rejects, `enqueue`d rows go to `onBatchFailed` and make
 * the next `flush()` reject with them.
 */
export class ClickHouseTelemetryWriter {
  private readonly logger = new Logger('telemetry-writer');
  private readonly table: string;
  private readonly opts: Required<Omit<TelemetryWriterOptions, 'onBatchFailed' | 'table'>> & Pick<TelemetryWriterOptions, 'onBatchFailed'>;
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
    await done;
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
    let plan: BatchPlan | undefined;
    const chosen = new Map<string, Entry>();
    try {
      await previous.decided;
      // A request_id twice in one batch: keep the highest version (the first of equals), the rest are duplicates.
      const repeated: Entry[] = [];
      for (const entry of entries) {
        const other = chosen.get(entry.row.request_id);
        if (!other) chosen.set(entry.row.request_id, entry);
        else if (entry.row.version > other.row.version) {
          repeated.push(other);
          chosen.set(entry.row.request_id, entry);
        } else repeated.push(entry);
      }
      const unique = [...chosen.values()];
      const lookupStarted = Date.now();
      let stored = this.opts.dedupe ? await this.lookup(unique.map((e) => e.row)) : new Map<string, StoredVersion>();
      lookupMs = Date.now() - lookupStarted;
      // Encoded now, while the previous INSERT runs; redone below only if that batch changes the answer.
      plan = this.plan(unique, repeated, stored);
      plan.body = await encodeTabSeparatedInSlices(plan.toWrite.map((w) => w.row));
      const before = await previous.settled;
      if (this.opts.dedupe) {
        if (!before) {
          const again = Date.now();
          stored = await this.lookup(unique.map((e) => e.row));
          lookupMs += Date.now() - again;
          plan = this.plan(unique, repeated, stored);
        } else {
          let changed = false;
          for (const entry of unique) {
            const row = before.get(entry.row.request_id)?.stored;
            if (row && row.version > (stored.get(row.request_id)?.version ?? 0)) {
              stored.set(row.request_id, { version: row.version, estimated_cost: row.estimated_cost, provider_cost: row.provider_cost ?? '0' });
              changed = true;
            }
          }
          if (changed) plan = this.plan(unique, repeated, stored);
        }
      }
      decide();
      const rows = plan.toWrite.map((w) => w.row);
      insertStarted = Date.now();
      if (rows.length) await this.insertRows(rows, plan.body ?? (await encodeTabSeparatedInSlices(rows)));
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

  /** Splits unique rows into new ones, re-sends (stored at the same or a higher version) and restatements. */
  private plan(unique: Entry[], repeated: Entry[], stored: Map<string, StoredVersion>): BatchPlan {
    const plan: BatchPlan = { toWrite: [], duplicates: [...repeated], restated: 0 };
    for (const entry of unique) {
      const existing = stored.get(entry.row.request_id);
      if (!existing) {
        plan.toWrite.push({ entry, row: entry.row });
      } else if (existing.version >= entry.row.version) {
        plan.duplicates.push(entry);
      } else {
        // A newer version of a stored request: carry the superseded money so rollups add only the difference.
        const row = { ...entry.row, prev_version: existing.version, prev_estimated_cost: existing.estimated_cost, prev_provider_cost: existing.provider_cost };
        plan.toWrite.push({ entry, row });
        plan.restated++;
      }
    }
    return plan;
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

  /** Latest stored version (and its money) of each request_id, looked up only on the days the rows fall on. */
  private async lookup(rows: LlmRequestRow[]): Promise<Map<string, StoredVersion>> {
    const found = new Map<string, StoredVersion>();
    const days = [...new Set(rows.map((r) => r.ts.slice(0, 10)))];
    let minTs = rows[0].ts;
    let maxTs = rows[0].ts;
    for (const r of rows) {
      if (r.ts < minTs) minTs = r.ts;
      if (r.ts > maxTs) maxTs = r.ts;
    }
    for (let i = 0; i < rows.length; ) {
      // One TabSeparated line per id, counted as escaped.
      let ids = '';
      for (let first = true; i < rows.length; i++, first = false) {
        const line = `${tsvText(rows[i].request_id)}\n`;
        if (!first && ids.length + line.length > LOOKUP_CHUNK_CHARS) break;
        ids += line;
      }
      const result = await this.withRetry('lookup', async () => {
        const rs = await this.client.query({
          query: dedupLookupSql(this.table),
          query_params: { days, ids, min_ts: minTs, max_ts: maxTs } satisfies DedupLookupParams,
          format: 'JSONEachRow',
        });
        return rs.json<{ request_id: string; stored_version: string; stored_cost: string; stored_provider_cost: string }>();
      });
      for (const r of result) found.set(r.request_id, { version: Number(r.stored_version), estimated_cost: r.stored_cost, provider_cost: r.stored_provider_cost });
    }
    return found;
  }

  /** `body` is `rows` encoded; a batch the server finds too large is re-encoded in halves. */
  private async insertRows(rows: LlmRequestRow[], body: Buffer): Promise<void> {
    try {
      await this.withRetry('insert', () =>
        insertRawBody(this.client, {
          table: this.table,
          columns: LLM_REQUEST_COLUMNS,
          format: 'TabSeparated',
          body,
          // Rows carry canonical 'YYYY-MM-DD hh:mm:ss.mmm' UTC times: the strict parser is much faster than best_effort.
          // The rollup views run side by side rather than one after another. The INSERT's threads run at the lowest
          // priority (nice 19, restored after the query): with an embedded ClickHouse they share the cores with the
          // requests being served, and a request must not wait behind telemetry of earlier ones.
          settings: { date_time_input_format: 'basic', parallel_view_processing: 1, os_thread_priority: '19' },
        }),
      );
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
