import type { ClickHouseClient } from '@clickhouse/client';
import { Logger } from '@tollgate/core';
import { llmRequestsWriteGate } from './llm-requests-write.gate';
import { LLM_USAGE_ROLLUPS, rollupRebuildSql, UsageRollup } from './llm-usage-rollups';

/** What one repair found and did. */
export interface RollupRepairResult {
  /** Days compared (all days with data when no days were given). */
  checkedDays: number;
  /** Days whose id index disagreed with the raw table and were re-indexed. */
  reindexedDays: string[];
  /** Per rollup, the days that disagreed with the raw table and were rebuilt from it. */
  rebuiltDays: Record<string, string[]>;
}

/** Per (day, currency): the figures a rollup must agree on with the raw table's latest versions. */
type DayFigures = Map<string, string>;

const FIGURES = `toString(requests) AS requests, toString(error_requests) AS error_requests, toString(input_tokens) AS input_tokens,
  toString(cached_input_tokens) AS cached_input_tokens, toString(cache_write_tokens) AS cache_write_tokens,
  toString(output_tokens) AS output_tokens, toString(reasoning_tokens) AS reasoning_tokens,
  toString(audio_input_tokens) AS audio_input_tokens, toString(audio_output_tokens) AS audio_output_tokens,
  toString(image_tokens) AS image_tokens, toString(estimated_cost) AS estimated_cost, toString(provider_cost) AS provider_cost,
  toString(latency_count) AS latency_count`;

/**
 * Makes the rollups (and the id index the writer's de-dup reads) agree with `llm_requests` after a crash or a failed
 * insert. An INSERT into llm_requests is not atomic across its materialized views: kill -9 half-way can store the raw
 * part without some rollup parts (or the other way round), and an insert retried after a timeout can add a rollup
 * delta twice. Since the writer then treats the re-sent events as duplicates, nothing would ever fix the rollups.
 *
 * For each day (all days, or the ones given) it compares, per currency, every figure a rollup holds — requests,
 * errors, each token count, both costs, the latency histogram's total — with the same figures computed from
 * `llm_requests FINAL`; and the id index's ids and money with the raw table's. A day that disagrees is rebuilt from
 * the raw rows: the id index by re-inserting the day's latest versions (the engine collapses what was there), a rollup
 * by building its whole month partition — unaffected days copied, affected days recomputed — in a staging table that
 * then replaces the partition atomically, so a reader never sees a half-rebuilt month.
 *
 * Run it while nothing writes `llm_requests` (the writer runs it between its batches): rows inserted during a rebuild
 * would be replaced away: in this process the write gate (`llm-requests-write.gate.ts`) holds every writer's INSERTs
 * off while a repair runs, and repairs run one after the other; another process's rows would be found by its next check.
 */
export class LlmUsageRollupRepairService {
  private readonly logger = new Logger('telemetry-rollup-repair');

  constructor(private readonly client: ClickHouseClient) {}

  repair(days?: string[]): Promise<RollupRepairResult> {
    return llmRequestsWriteGate.exclusive(() => this.repairNow(days));
  }

  private async repairNow(days?: string[]): Promise<RollupRepairResult> {
    if (days && days.length === 0) return { checkedDays: 0, reindexedDays: [], rebuiltDays: {} };
    const started = Date.now();
    const raw = await this.rawFigures(days);
    const reindexedDays = await this.repairIdIndex(days);
    const rebuiltDays: Record<string, string[]> = {};
    for (const rollup of LLM_USAGE_ROLLUPS) {
      const bad = disagreeingDays(raw, await this.rollupFigures(rollup, days));
      if (bad.length) {
        await this.rebuild(rollup, bad);
        rebuiltDays[rollup.table] = bad;
      }
    }
    const checkedDays = new Set([...raw.keys()].map((k) => k.slice(0, 10))).size;
    const result = { checkedDays, reindexedDays, rebuiltDays };
    if (reindexedDays.length || Object.keys(rebuiltDays).length) this.logger.warn('rollups disagreed with llm_requests and were rebuilt', { ...result, ms: Date.now() - started });
    else this.logger.debug('rollups agree with llm_requests', { checkedDays, ms: Date.now() - started });
    return result;
  }

  private async rawFigures(days?: string[]): Promise<DayFigures> {
    return this.figures(
      `SELECT toString(toDate(ts)) AS day, currency, count() AS requests, countIf(status >= 400 OR status = 0) AS error_requests,
              sum(input_tokens) AS input_tokens, sum(cached_input_tokens) AS cached_input_tokens, sum(cache_write_tokens) AS cache_write_tokens,
              sum(output_tokens) AS output_tokens, sum(reasoning_tokens) AS reasoning_tokens, sum(audio_input_tokens) AS audio_input_tokens,
              sum(audio_output_tokens) AS audio_output_tokens, sum(image_tokens) AS image_tokens, sum(estimated_cost) AS estimated_cost,
              sum(ifNull(provider_cost, toDecimal128(0, 12))) AS provider_cost, count() AS latency_count
       FROM llm_requests FINAL ${days ? 'WHERE toDate(ts) IN {days:Array(Date)}' : ''} GROUP BY day, currency`,
      days,
    );
  }

  private rollupFigures(rollup: UsageRollup, days?: string[]): Promise<DayFigures> {
    return this.figures(
      `SELECT toString(${rollup.dayExpr}) AS day, currency, sum(requests) AS requests, sum(error_requests) AS error_requests,
              sum(input_tokens) AS input_tokens, sum(cached_input_tokens) AS cached_input_tokens, sum(cache_write_tokens) AS cache_write_tokens,
              sum(output_tokens) AS output_tokens, sum(reasoning_tokens) AS reasoning_tokens, sum(audio_input_tokens) AS audio_input_tokens,
              sum(audio_output_tokens) AS audio_output_tokens, sum(image_tokens) AS image_tokens, sum(estimated_cost) AS estimated_cost,
              sum(provider_cost) AS provider_cost, sum(arraySum(mapValues(latency_histogram))) AS latency_count
       FROM ${rollup.table} ${days ? `WHERE ${rollup.dayExpr} IN {days:Array(Date)}` : ''} GROUP BY day, currency`,
      days,
    );
  }

  /** Rows of (day, currency, figures...) as `day|currency` → the figures joined: equal strings, equal figures. */
  private async figures(inner: string, days?: string[]): Promise<DayFigures> {
    const rs = await this.client.query({
      query: `SELECT day, currency, ${FIGURES} FROM (${inner})`,
      query_params: days ? { days } : {},
      format: 'JSONEachRow',
    });
    const out: DayFigures = new Map();
    for (const row of await rs.json<Record<string, string>>()) {
      const { day, currency, ...figures } = row;
      out.set(`${day}|${currency}`, JSON.stringify(figures));
    }
    return out;
  }

  /** Days whose ids, versions or money in the id index differ from the raw table's; re-indexed from the raw rows. */
  private async repairIdIndex(days?: string[]): Promise<string[]> {
    const where = (col: string) => (days ? `WHERE toDate(${col}) IN {days:Array(Date)}` : '');
    const rs = await this.client.query({
      query: `SELECT day FROM (
                SELECT toString(toDate(last_ts)) AS day, count() AS ids, sum(last_version) AS versions, sum(last_cost) AS cost, sum(last_provider_cost) AS provider_cost
                FROM (SELECT request_id, argMax(ts, version) AS last_ts, max(version) AS last_version, argMax(estimated_cost, version) AS last_cost,
                             argMax(ifNull(provider_cost, toDecimal128(0, 12)), version) AS last_provider_cost
                      FROM llm_requests ${where('ts')} GROUP BY request_id)
                GROUP BY day) AS r
              FULL OUTER JOIN (
                SELECT toString(toDate(ts)) AS day, count() AS ids, sum(version) AS versions, sum(estimated_cost) AS cost, sum(provider_cost) AS provider_cost
                FROM llm_request_ids FINAL ${where('ts')} GROUP BY day) AS i USING (day)
              WHERE r.ids != i.ids OR r.versions != i.versions OR r.cost != i.cost OR r.provider_cost != i.provider_cost ORDER BY day`,
      query_params: days ? { days } : {},
      format: 'JSONEachRow',
    });
    const bad = (await rs.json<{ day: string }>()).map((r) => r.day);
    if (bad.length) {
      await this.client.command({
        query: `INSERT INTO llm_request_ids
                SELECT request_id, ts, version, estimated_cost, ifNull(provider_cost, toDecimal128(0, 12)) AS provider_cost
                FROM llm_requests FINAL WHERE toDate(ts) IN {days:Array(Date)}`,
        query_params: { days: bad },
      });
    }
    return bad;
  }

  /** Rebuilds `days` of a rollup from the raw rows, one month partition at a time, swapped in atomically. */
  private async rebuild(rollup: UsageRollup, days: string[]): Promise<void> {
    const staging = `${rollup.table}_repair`;
    const months = new Map<string, string[]>();
    for (const day of days) {
      const month = day.slice(0, 7).replace('-', '');
      if (!/^\d{6}$/.test(month)) throw new RangeError(`not a day: ${day}`);
      months.set(month, [...(months.get(month) ?? []), day]);
    }
    await this.client.command({ query: `DROP TABLE IF EXISTS ${staging}` });
    await this.client.command({ query: `CREATE TABLE ${staging} AS ${rollup.table}` });
    try {
      for (const [month, monthDays] of months) {
        await this.client.command({
          query: `INSERT INTO ${staging} SELECT * FROM ${rollup.table}
                  WHERE toYYYYMM(${rollup.dayExpr}) = {month:UInt32} AND ${rollup.dayExpr} NOT IN {days:Array(Date)}`,
          query_params: { month: Number(month), days: monthDays },
        });
        await this.client.command({ query: rollupRebuildSql(rollup, staging), query_params: { days: monthDays } });
        // A partition is named by a literal; `month` is six digits taken from a day ClickHouse printed.
        await this.client.command({ query: `ALTER TABLE ${rollup.table} REPLACE PARTITION ${Number(month)} FROM ${staging}` });
        await this.client.command({ query: `TRUNCATE TABLE ${staging}` });
      }
    } finally {
      await this.client.command({ query: `DROP TABLE IF EXISTS ${staging}` });
    }
  }
}

/** Keys (`day|currency`) on which raw and rollup differ, as the distinct days, sorted. */
function disagreeingDays(raw: DayFigures, rollup: DayFigures): string[] {
  const days = new Set<string>();
  for (const [key, figures] of raw) if (rollup.get(key) !== figures) days.add(key.slice(0, 10));
  for (const key of rollup.keys()) if (!raw.has(key)) days.add(key.slice(0, 10));
  return [...days].sort();
}
