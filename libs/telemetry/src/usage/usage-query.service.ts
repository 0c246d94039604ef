import type { ClickHouseClient } from '@clickhouse/client';
import { MONEY_SCALE, encodeCsv } from '@tollgate/core';
import { LATENCY_BUCKETS, latencyHistogramSql, latencyPercentileBucketsSql } from './latency-histogram';
import { USAGE_DIMENSIONS, UsageDimension, UsageGrain, UsageQuery } from './usage-query';

export { LATENCY_BUCKETS, LATENCY_PERCENTILES, latencyBucket, latencyBucketSql } from './latency-histogram';
export type { LatencyBucket } from './latency-histogram';

export const TOKEN_CLASSES = [
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'audio_input_tokens',
  'audio_output_tokens',
  'image_tokens',
] as const;
export type TokenClass = (typeof TOKEN_CLASSES)[number];

export interface UsageRow {
  /** Start of the bucket, ISO-8601 UTC. */
  bucket: string;
  /** The group_by dimensions' values, in the order asked. */
  group: Partial<Record<UsageDimension, string>>;
  currency: string;
  requests: number;
  errors: number;
  /** errors / requests (a ratio, not money), 0 when no requests. */
  error_rate: number;
  tokens: Record<TokenClass, number>;
  /** Decimal string at 12 places, in `currency`. */
  estimated_cost: string;
  provider_cost: string;
  /** Nearest-rank percentiles from the latency histogram (see latency-histogram.ts for the accuracy); null without requests. */
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

export interface UsageResult {
  /** `rollup` when a rollup answered (then `table` names it), `raw` when llm_requests did. */
  source: 'rollup' | 'raw';
  table: string;
  rows: UsageRow[];
}

interface Rollup {
  table: string;
  timeColumn: string;
  unit: 'hour' | 'day';
  dimensions: readonly UsageDimension[];
}

/** Cheapest first: the first rollup that can answer exactly is used. */
const ROLLUPS: Rollup[] = [
  { table: 'llm_usage_daily_customer', timeColumn: 'day', unit: 'day', dimensions: ['customer'] },
  { table: 'llm_usage_daily', timeColumn: 'day', unit: 'day', dimensions: ['feature', 'customer', 'model', 'provider', 'env'] },
  { table: 'llm_usage_hourly', timeColumn: 'hour', unit: 'hour', dimensions: ['feature', 'customer', 'model', 'provider', 'env'] },
];

const GRAIN_RANK: Record<UsageGrain, number> = { hour: 0, day: 1, week: 2, month: 3 };
const UNIT_MS = { hour: 3_600_000, day: 86_400_000 };

function bucketExpression(grain: UsageGrain, column: string): string {
  const t = `toDateTime(${column}, 'UTC')`;
  switch (grain) {
    case 'hour':
      return `toStartOfHour(${t})`;
    case 'day':
      return `toStartOfDay(${t})`;
    case 'week':
      return `toDateTime(toMonday(${t}), 'UTC')`;
    case 'month':
      return `toDateTime(toStartOfMonth(${t}), 'UTC')`;
  }
}

const chTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/**
 * Answers usage queries from the rollups when one covers the query exactly — every grouped and filtered dimension
 * is a rollup dimension, the grain is no finer than the rollup's, and `from`/`to` fall on its bucket boundaries —
 * and from the deduplicated raw rows (FINAL) otherwise. Both give the same numbers (the rollups are delta-exact;
 * see README). Column names come from the allowlist, values only as query parameters.
 */
export class UsageQueryService {
  constructor(private readonly clickhouse: ClickHouseClient) {}

  chooseRollup(query: UsageQuery): Rollup | undefined {
    const used = new Set<UsageDimension>([...query.groupBy, ...(Object.keys(query.filters) as UsageDimension[])]);
    return ROLLUPS.find(
      (r) =>
        [...used].every((d) => r.dimensions.includes(d)) &&
        GRAIN_RANK[query.grain] >= GRAIN_RANK[r.unit] &&
        query.from.getTime() % UNIT_MS[r.unit] === 0 &&
        query.to.getTime() % UNIT_MS[r.unit] === 0,
    );
  }

  async query(query: UsageQuery, options: { forceRaw?: boolean } = {}): Promise<UsageResult> {
    const rollup = options.forceRaw ? undefined : this.chooseRollup(query);
    const { sql, params } = usageSql(query, rollup);
    // Compact rows parse markedly faster than keyed objects on day/hour grains' many rows; the names row that
    // JSONCompactEachRowWithNames sends first lets every cell still be read by its column name.
    const result = await this.clickhouse.query({ query: sql, query_params: params, format: 'JSONCompactEachRowWithNames' });
    const [names = [], ...raw] = await result.json<unknown[]>();
    const rows = readUsageRows(query, names as string[], raw);
    return { source: rollup ? 'rollup' : 'raw', table: rollup ? rollup.table : 'llm_requests', rows };
  }
}

/** The SQL of one usage query: from a rollup that covers it exactly, or from the deduplicated raw rows. */
function usageSql(query: UsageQuery, rollup: Rollup | undefined): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { from: chTime(query.from), to: chTime(query.to) };
  const source = rollup ? rollupSource(rollup) : RAW_SOURCE;
  const where = [source.timeRange];
  for (const dim of USAGE_DIMENSIONS) {
    const values = query.filters[dim];
    if (!values) continue;
    // `dim` is from the allowlist; the values travel as a parameter.
    where.push(`${dim} IN {f_${dim}:Array(String)}`);
    params[`f_${dim}`] = values;
  }
  const keys = ['bucket_start', ...query.groupBy, 'currency'];
  // Grouped by the bucket's DateTime and formatted once per answer row, not once per rollup row.
  const sql = `SELECT formatDateTime(bucket_start, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS bucket, * EXCEPT (bucket_start, latency_histogram),
      ${latencyPercentileBucketsSql('latency_histogram')} AS latency_buckets
    FROM (
      SELECT ${bucketExpression(query.grain, source.timeColumn)} AS bucket_start, ${query.groupBy.map((d) => `${d}, `).join('')}currency, ${source.measures}
      FROM ${source.table}
      WHERE ${where.join(' AND ')}
      GROUP BY ${keys.join(', ')}
    )
    ORDER BY ${keys.join(', ')}`;
  return { sql, params };
}

/** Where a usage query reads: the table, its time column and range condition, and the measures it sums. */
interface UsageSource {
  table: string;
  timeColumn: string;
  timeRange: string;
  measures: string;
}

function rollupSource(rollup: Rollup): UsageSource {
  const t = rollup.timeColumn;
  return {
    table: rollup.table,
    timeColumn: t,
    timeRange:
      rollup.unit === 'day'
        ? `${t} >= toDate({from:DateTime64(3, 'UTC')}) AND ${t} < toDate({to:DateTime64(3, 'UTC')})`
        : `${t} >= {from:DateTime64(3, 'UTC')} AND ${t} < {to:DateTime64(3, 'UTC')}`,
    measures: [
      'sum(requests) AS requests',
      'sum(error_requests) AS errors',
      ...TOKEN_CLASSES.map((c) => `sum(${c}) AS ${c}`),
      `toDecimalString(sum(estimated_cost), ${MONEY_SCALE}) AS estimated_cost`,
      `toDecimalString(sum(provider_cost), ${MONEY_SCALE}) AS provider_cost`,
      'sumMap(latency_histogram) AS latency_histogram',
    ].join(', '),
  };
}

const RAW_SOURCE: UsageSource = {
  table: 'llm_requests FINAL',
  timeColumn: 'ts',
  timeRange: `ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}`,
  measures: [
    'count() AS requests',
    'countIf(status >= 400 OR status = 0) AS errors',
    ...TOKEN_CLASSES.map((c) => `sum(${c}) AS ${c}`),
    `toDecimalString(sum(estimated_cost), ${MONEY_SCALE}) AS estimated_cost`,
    `toDecimalString(sum(ifNull(provider_cost, toDecimal128(0, 12))), ${MONEY_SCALE}) AS provider_cost`,
    // The rollups' histogram built from raw rows, so both paths report the same percentiles.
    `${latencyHistogramSql('latency_ms')} AS latency_histogram`,
  ].join(', '),
};

/** The answer's rows, each cell read by its column name (the compact format's first row names the columns). */
function readUsageRows(query: UsageQuery, names: string[], raw: unknown[][]): UsageRow[] {
  const column = columnIndex(names);
  const at = {
    bucket: column('bucket'),
    currency: column('currency'),
    requests: column('requests'),
    errors: column('errors'),
    estimatedCost: column('estimated_cost'),
    providerCost: column('provider_cost'),
    latencyBuckets: column('latency_buckets'),
    dimensions: query.groupBy.map((d) => [d, column(d)] as const),
    tokens: TOKEN_CLASSES.map((t) => [t, column(t)] as const),
  };
  return raw.map((r): UsageRow => {
    const requests = num(r[at.requests]);
    const errors = num(r[at.errors]);
    const latency = r[at.latencyBuckets] as [number, number];
    const group: UsageRow['group'] = {};
    for (const [dimension, i] of at.dimensions) group[dimension] = r[i] as string;
    const tokens = {} as Record<TokenClass, number>;
    for (const [tokenClass, i] of at.tokens) tokens[tokenClass] = num(r[i]);
    return {
      bucket: String(r[at.bucket]),
      group,
      currency: String(r[at.currency]),
      requests,
      errors,
      error_rate: requests ? Math.round((errors / requests) * 1e6) / 1e6 : 0,
      tokens,
      // Fixed 12-place decimal strings, formatted by ClickHouse (toDecimalString): no float, no JS decimal work.
      estimated_cost: r[at.estimatedCost] as string,
      provider_cost: r[at.providerCost] as string,
      latency_p50_ms: requests ? LATENCY_BUCKETS[latency[0]].estimate : null,
      latency_p95_ms: requests ? LATENCY_BUCKETS[latency[1]].estimate : null,
    };
  });
}

/** Position of each named column in a compact answer; a missing one is a bug in the query above, not bad input. */
function columnIndex(names: readonly string[]): (name: string) => number {
  return (name) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`usage query answer has no column '${name}' (columns: ${names.join(', ')})`);
    return i;
  };
}

/** CSV for spreadsheets: one header line, RFC 4180 quoting, and text cells that could run as formulas neutralised. */
export function usageToCsv(query: UsageQuery, rows: UsageRow[]): string {
  const header = ['bucket', ...query.groupBy, 'currency', 'requests', 'errors', 'error_rate', ...TOKEN_CLASSES, 'estimated_cost', 'provider_cost', 'latency_p50_ms', 'latency_p95_ms'];
  return encodeCsv(
    header,
    rows.map((r) => [
      r.bucket,
      ...query.groupBy.map((d) => r.group[d] ?? ''),
      r.currency,
      r.requests,
      r.errors,
      r.error_rate,
      ...TOKEN_CLASSES.map((t) => r.tokens[t]),
      r.estimated_cost,
      r.provider_cost,
      r.latency_p50_ms,
      r.latency_p95_ms,
    ]),
  );
}
