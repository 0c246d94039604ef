import { latencyBucketSql } from '../usage/latency-histogram';

/**
 * The usage rollups of `llm_requests` (migration 0013's tables and views) as the repair sees them: where each keeps
 * its day and how a day of it is computed from the raw rows. The SELECT is the one 0013 rebuilt them with (each
 * request's latest version once, as a new request with its current money), so a rebuilt day equals what the views'
 * deltas add up to.
 */
export interface UsageRollup {
  table: string;
  /** The rollup's day, as an expression over its columns. */
  dayExpr: string;
  /** Its key columns as computed from `llm_requests` (in the table's column order). */
  keys: string;
  /** Its key columns by name, for GROUP BY. */
  groupBy: string;
}

export const LLM_USAGE_ROLLUPS: readonly UsageRollup[] = [
  {
    table: 'llm_usage_hourly',
    dayExpr: 'toDate(hour)',
    keys: 'toStartOfHour(ts) AS hour, feature, customer, model, provider, env, currency',
    groupBy: 'hour, feature, customer, model, provider, env, currency',
  },
  { table: 'llm_usage_daily_customer', dayExpr: 'day', keys: 'toDate(ts) AS day, customer, currency', groupBy: 'day, customer, currency' },
  {
    table: 'llm_usage_daily',
    dayExpr: 'day',
    keys: 'toDate(ts) AS day, feature, customer, model, provider, env, currency',
    groupBy: 'day, feature, customer, model, provider, env, currency',
  },
];


/** INSERT into `target` (a table shaped as the rollup) of the rollup's rows for the days `{days:Array(Date)}`. */
export function rollupRebuildSql(rollup: UsageRollup, target: string): string {
  return `INSERT INTO ${target}
SELECT
    ${rollup.keys},
    count() AS requests,
    countIf(status >= 400 OR status = 0) AS error_requests,
    sum(toInt64(input_tokens)) AS input_tokens,
    sum(toInt64(cached_input_tokens)) AS cached_input_tokens,
    sum(toInt64(cache_write_tokens)) AS cache_write_tokens,
    sum(toInt64(output_tokens)) AS output_tokens,
    sum(toInt64(reasoning_tokens)) AS reasoning_tokens,
    sum(toInt64(audio_input_tokens)) AS audio_input_tokens,
    sum(toInt64(audio_output_tokens)) AS audio_output_tokens,
    sum(toInt64(image_tokens)) AS image_tokens,
    sum(estimated_cost) AS estimated_cost,
    sum(ifNull(provider_cost, toDecimal128(0, 12))) AS provider_cost,
    sumMap(map(${latencyBucketSql('latency_ms')}, toUInt64(1))) AS latency_histogram
FROM llm_requests FINAL
WHERE toDate(ts) IN {days:Array(Date)}
GROUP BY ${rollup.groupBy}`;
}
