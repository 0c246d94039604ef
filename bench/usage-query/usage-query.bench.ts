// GET /v1/usage over 10 million generated requests: a 30-day group_by=feature,customer,model, answered from the
// rollups, measured beside the same query forced onto the raw table (llm_requests FINAL) — the baseline of this run.
// The requests are generated inside ClickHouse (INSERT … SELECT FROM numbers()), so the rollup views fill exactly as
// they do on ingest. Target: rollup p50 under 300 ms. Also checks that both paths report the same latency p50/p95 and
// how far those are from the exact nearest-rank percentiles (the histogram's documented bound is 4.95%).
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseUsageQuery, UsageQueryService } from '@tollgate/telemetry';
import { benchEnv, fmt, startTelemetryApi } from '../ingest/bench-env';

const ROWS = Number(process.argv[2] ?? 10_000_000);
const ROLLUP_RUNS = 21;
const RAW_RUNS = 5;
const TARGET_MS = 300;

const GENERATE = `
INSERT INTO llm_requests (ts, request_id, feature, customer, team, env, virtual_key, provider, provider_account, region, model,
  requested_model, status, error_class, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, usage_source,
  streamed, ttft_ms, latency_ms, estimated_cost, price_ref, currency, version)
SELECT ts, request_id, feature, customer, team, env, virtual_key, provider, provider_account, '', model, model,
  status, if(status >= 400, 'upstream_5xx', ''), input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, 'provider',
  number % 2 = 0, 80 + h % 500, latency_ms,
  toDecimal128(input_tokens * 25 + output_tokens * 100, 12) / 10000000, 'bench', 'USD', 1
FROM
(
  SELECT number,
    cityHash64(number) AS h,
    toDateTime64('2026-09-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(intDiv(number * 2592000000, {rows:UInt64})) AS ts,
    concat('gen-', toString(number)) AS request_id,
    ['search', 'chat', 'summarize', 'extract', 'classify', 'translate', 'code', 'rerank'][1 + (h % 8)] AS feature,
    concat('customer-', toString(intDiv(h, 8) % 50)) AS customer,
    ['core', 'growth', 'platform', 'ml'][1 + number % 4] AS team,
    if(number % 20 = 0, 'staging', 'prod') AS env,
    concat('vk-', toString(number % 40)) AS virtual_key,
    intDiv(h, 400) % 6 AS m,
    ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4', 'claude-3-5-haiku', 'gemini-2.5-flash', 'o3'][1 + m] AS model,
    ['openai', 'openai', 'anthropic', 'anthropic', 'google', 'openai'][1 + m] AS provider,
    concat('acct-', toString(m % 3)) AS provider_account,
    if(intDiv(h, 2400) % 50 = 0, 500, 200) AS status,
    200 + intDiv(h, 120000) % 4000 AS input_tokens,
    if(number % 4 = 0, intDiv(input_tokens, 2), 0) AS cached_input_tokens,
    20 + intDiv(h, 480000000) % 800 AS output_tokens,
    if(m = 5, intDiv(output_tokens, 3), 0) AS reasoning_tokens,
    toUInt32(200 + intDiv(h, 384000000000) % 5000) AS latency_ms
  FROM numbers({rows:UInt64})
)`;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times;
}

async function main() {
  const loadAtStart = loadavg();
  const env = benchEnv('usage-query');
  const running = await startTelemetryApi(env.vars);
  try {
    const ch = running.stores.clickhouse;
    process.stdout.write(`generating ${fmt(ROWS)} requests over 30 days inside ClickHouse...\n`);
    let started = performance.now();
    await ch.command({ query: GENERATE, query_params: { rows: ROWS } });
    const generateSeconds = (performance.now() - started) / 1000;
    // Background merges would do this over time; done once here so the figures don't depend on merge timing.
    started = performance.now();
    for (const table of ['llm_usage_hourly', 'llm_usage_daily', 'llm_usage_daily_customer']) await ch.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
    const optimizeSeconds = (performance.now() - started) / 1000;
    const counts = await (
      await ch.query({
        query: `SELECT (SELECT count() FROM llm_requests) AS raw, (SELECT count() FROM llm_usage_hourly) AS hourly, (SELECT count() FROM llm_usage_daily) AS daily`,
        format: 'JSONEachRow',
      })
    ).json<{ raw: string; hourly: string; daily: string }>();

    const service = new UsageQueryService(ch);
    const params = { from: '2026-09-01T00:00:00Z', to: '2026-10-01T00:00:00Z', grain: 'month', group_by: 'feature,customer,model' };
    const query = parseUsageQuery(params);
    const rollupAnswer = await service.query(query);
    const rawAnswer = await service.query(query, { forceRaw: true });
    const answerKey = (rows: typeof rollupAnswer.rows) => JSON.stringify(rows.map((r) => [r.group, r.requests, r.estimated_cost, r.latency_p50_ms, r.latency_p95_ms]));
    const same = answerKey(rollupAnswer.rows) === answerKey(rawAnswer.rows);
    // Exact nearest-rank percentiles (the ⌈q·n⌉-th smallest latency) per group, to measure the histogram's error.
    const exact = await (
      await ch.query({
        query: `SELECT feature, customer, model, arraySort(groupArray(latency_ms)) AS l, l[intDiv(length(l) * 50 + 99, 100)] AS p50, l[intDiv(length(l) * 95 + 99, 100)] AS p95
                FROM llm_requests FINAL GROUP BY feature, customer, model`,
        format: 'JSONEachRow',
      })
    ).json<{ feature: string; customer: string; model: string; p50: number; p95: number }>();
    const exactByGroup = new Map(exact.map((e) => [`${e.feature}|${e.customer}|${e.model}`, e]));
    const errors50: number[] = [];
    const errors95: number[] = [];
    for (const r of rollupAnswer.rows) {
      const e = exactByGroup.get(`${r.group.feature}|${r.group.customer}|${r.group.model}`)!;
      errors50.push(Math.abs(r.latency_p50_ms! - e.p50) / e.p50);
      errors95.push(Math.abs(r.latency_p95_ms! - e.p95) / e.p95);
    }
    const pct = (errors: number[]) => `max ${(Math.max(...errors) * 100).toFixed(2)}%, mean ${((errors.reduce((a, b) => a + b, 0) / errors.length) * 100).toFixed(2)}%`;
    const rollupTimes = await timed(ROLLUP_RUNS, () => service.query(query));
    const rawTimes = await timed(RAW_RUNS, () => service.query(query, { forceRaw: true }));
    const qs = new URLSearchParams(params).toString();
    const httpTimes = await timed(ROLLUP_RUNS, async () => {
      const res = await fetch(`${running.url}/v1/usage?${qs}`);
      if (res.status !== 200) throw new Error(`usage API answered ${res.status}`);
      await res.arrayBuffer();
    });
    const dayQuery = parseUsageQuery({ ...params, grain: 'day' });
    const dayTimes = await timed(ROLLUP_RUNS, () => service.query(dayQuery));
    const dayRawTimes = await timed(3, () => service.query(dayQuery, { forceRaw: true }));
    const p50 = (t: number[]) => percentile(t, 0.5);
    process.stdout.write(
      [
        `requests generated         ${fmt(ROWS)} in ${generateSeconds.toFixed(1)} s (rollups optimized in ${optimizeSeconds.toFixed(1)} s)`,
        `rows: raw ${fmt(Number(counts[0].raw))}, hourly rollup ${fmt(Number(counts[0].hourly))}, daily rollup ${fmt(Number(counts[0].daily))}`,
        `query                      30 days, group_by=feature,customer,model, grain=month: ${rollupAnswer.rows.length} groups from ${rollupAnswer.table}`,
        `rollup and raw answers     ${same ? 'identical (requests, cost, latency p50/p95 per group)' : 'DIFFER'}`,
        `latency vs exact           relative error of p50 ${pct(errors50)}; p95 ${pct(errors95)} (exact nearest-rank values, ${errors50.length} groups)`,
        `baseline raw (FINAL) p50   ${p50(rawTimes).toFixed(0)} ms  (${RAW_RUNS} runs)`,
        `rollup p50 / p95           ${p50(rollupTimes).toFixed(0)} / ${percentile(rollupTimes, 0.95).toFixed(0)} ms  (${ROLLUP_RUNS} runs)`,
        `HTTP GET /v1/usage p50     ${p50(httpTimes).toFixed(0)} ms`,
        `raw / rollup               ${(p50(rawTimes) / p50(rollupTimes)).toFixed(1)}x faster from the rollup`,
        `rollup p50 / target 300ms  ${(p50(rollupTimes) / TARGET_MS).toFixed(2)} ${p50(rollupTimes) < TARGET_MS ? '(met)' : '(NOT met)'}`,
        `load average               ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end (1/5/15 min)`,
        `same at grain=day          rollup p50 ${p50(dayTimes).toFixed(0)} ms (${(await service.query(dayQuery)).rows.length} rows), raw p50 ${p50(dayRawTimes).toFixed(0)} ms, ${(p50(dayRawTimes) / p50(dayTimes)).toFixed(1)}x`,
      ].join('\n') + '\n',
    );
    if (!same) throw new Error('rollup and raw answers differ');
  } finally {
    await running.stop();
    rmSync(env.dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
