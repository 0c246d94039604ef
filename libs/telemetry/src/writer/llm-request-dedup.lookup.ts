import type { ClickHouseClient } from '@clickhouse/client';
import { LlmRequestRow } from '../events/llm-request.row';
import { tsvText } from './llm-request.tsv';

/** The latest stored version of a request and its money: what a restatement of it supersedes. */
export interface StoredVersion {
  version: number;
  estimated_cost: string;
  provider_cost: string;
  /** The stored row's ts (`YYYY-MM-DD hh:mm:ss.mmm`, UTC); a restatement is written at it, whatever the event says. */
  ts?: string;
}

/** A row of a batch as the de-dup sees it; the writer's entries carry more (the caller's ticket), left alone here. */
export interface DedupEntry {
  row: LlmRequestRow;
}

/** What a batch writes once looked up: the rows (restated ones with prev_* filled in) and their encoded body. */
export interface BatchPlan<E extends DedupEntry> {
  toWrite: { entry: E; row: LlmRequestRow }[];
  duplicates: E[];
  restated: number;
  body?: Buffer;
}

/** Runs one ClickHouse call under the writer's retry policy (attempts, backoff, retry counter). */
export type RetryRunner = <T>(what: string, op: () => Promise<T>) => Promise<T>;

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
 * The de-dup lookup by request_id alone (migration 0014's `llm_request_ids`, sorted by request_id): the latest stored
 * version, money and ts of each of a batch's request_ids, whatever ts the batch's rows carry. Only the ids table's
 * index is consulted, so the lookup does not grow with a day's rows either.
 */
export function idLookupSql(idsTable: string): string {
  return `SELECT request_id, max(version) AS stored_version, argMax(estimated_cost, version) AS stored_cost,
            argMax(provider_cost, version) AS stored_provider_cost, toString(argMax(ts, version)) AS stored_ts
          FROM ${idsTable}
          WHERE request_id IN (SELECT id FROM format(TabSeparated, 'id String', {ids:String}))
          GROUP BY request_id`;
}

/** The id index of `llm_requests` (migration 0014); no other table has one. */
export const LLM_REQUEST_IDS_TABLE = 'llm_request_ids';

/** Whether `table` exists in the client's database. */
export async function tableExists(client: ClickHouseClient, table: string): Promise<boolean> {
  const rs = await client.query({
    query: 'SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
    query_params: { table },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0) > 0;
}

/**
 * The writer's de-dup lookup against the table it writes: which of a batch's request_ids are stored already, and at
 * which version. `llm_requests` is looked up by id alone in its id index (`llm_request_ids`), so a re-send with
 * another ts is found; another table, or `llm_requests` before migration 0014, within the batch's days and ts window
 * (`dedupLookupSql`). The decisions built on the answer are the functions below.
 */
export class LlmRequestDedupLookup {
  /** The id index to ask, once found ('' = none: the ts-window lookup). */
  private idsTable: Promise<string> | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly table: string,
    private readonly retry: RetryRunner,
  ) {}

  /** Whether the table has an id index (and so the id lookup and the rollup repair apply); asked once. */
  hasIdIndex(): Promise<boolean> {
    return this.idIndex().then((t) => t !== '');
  }

  private idIndex(): Promise<string> {
    if (this.table !== 'llm_requests') return Promise.resolve('');
    if (!this.idsTable) {
      // Remembered once found; until then asked again each time (the database may be migrated after we start).
      this.idsTable = this.retry('lookup', () => tableExists(this.client, LLM_REQUEST_IDS_TABLE)).then((yes) => {
        if (!yes) this.idsTable = undefined;
        return yes ? LLM_REQUEST_IDS_TABLE : '';
      });
      this.idsTable.catch(() => (this.idsTable = undefined));
    }
    return this.idsTable;
  }

  /** Latest stored version (and its money and ts) of each request_id. */
  async storedVersions(rows: LlmRequestRow[]): Promise<Map<string, StoredVersion>> {
    const found = new Map<string, StoredVersion>();
    const idsTable = await this.idIndex();
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
      const result = await this.retry('lookup', async () => {
        const rs = await this.client.query(
          idsTable
            ? { query: idLookupSql(idsTable), query_params: { ids }, format: 'JSONEachRow' }
            : { query: dedupLookupSql(this.table), query_params: { days, ids, min_ts: minTs, max_ts: maxTs } satisfies DedupLookupParams, format: 'JSONEachRow' },
        );
        return rs.json<{ request_id: string; stored_version: string; stored_cost: string; stored_provider_cost: string; stored_ts?: string }>();
      });
      for (const r of result) {
        found.set(r.request_id, { version: Number(r.stored_version), estimated_cost: r.stored_cost, provider_cost: r.stored_provider_cost, ts: r.stored_ts });
      }
    }
    return found;
  }
}

/**
 * A request_id twice in one batch: fills `chosen` with the entry to write per request_id (the highest version, the
 * first of equals) and returns the others, which are duplicates.
 */
export function keepLatestPerRequest<E extends DedupEntry>(entries: E[], chosen: Map<string, E>): E[] {
  const repeated: E[] = [];
  for (const entry of entries) {
    const other = chosen.get(entry.row.request_id);
    if (!other) chosen.set(entry.row.request_id, entry);
    else if (entry.row.version > other.row.version) {
      repeated.push(other);
      chosen.set(entry.row.request_id, entry);
    } else repeated.push(entry);
  }
  return repeated;
}

/**
 * Splits unique rows into new ones, re-sends (stored at the same or a higher version, whatever their ts) and
 * restatements. A restatement is written at the stored ts: the ts is part of the raw table's sorting key and decides
 * the rollup bucket, so a newer version elsewhere would be a second request in both.
 */
export function planBatch<E extends DedupEntry>(unique: E[], repeated: E[], stored: Map<string, StoredVersion>): BatchPlan<E> {
  const plan: BatchPlan<E> = { toWrite: [], duplicates: [...repeated], restated: 0 };
  for (const entry of unique) {
    const existing = stored.get(entry.row.request_id);
    if (!existing) {
      plan.toWrite.push({ entry, row: entry.row });
    } else if (existing.version >= entry.row.version) {
      plan.duplicates.push(entry);
    } else {
      // A newer version of a stored request: carry the superseded money so rollups add only the difference.
      const row = {
        ...entry.row,
        ts: existing.ts ?? entry.row.ts,
        prev_version: existing.version,
        prev_estimated_cost: existing.estimated_cost,
        prev_provider_cost: existing.provider_cost,
      };
      plan.toWrite.push({ entry, row });
      plan.restated++;
    }
  }
  return plan;
}

/**
 * Completes a lookup made while the previous batch was being inserted with what that batch wrote (`written`, its
 * entries by request_id, those it stored carrying `stored`). Returns whether that changed the answer.
 */
export function addPreviousWrites(unique: DedupEntry[], stored: Map<string, StoredVersion>, written: Map<string, { stored: LlmRequestRow | undefined }>): boolean {
  let changed = false;
  for (const entry of unique) {
    const row = written.get(entry.row.request_id)?.stored;
    if (row && row.version > (stored.get(row.request_id)?.version ?? 0)) {
      stored.set(row.request_id, { version: row.version, estimated_cost: row.estimated_cost, provider_cost: row.provider_cost ?? '0', ts: row.ts });
      changed = true;
    }
  }
  return changed;
}
