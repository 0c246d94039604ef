// Collector ingest into the embedded ClickHouse: events POSTed to /v1/telemetry (JSON arrays, several in flight),
// validated, priced where they carry no cost, de-duplicated against stored request_ids and written through the one
// writer, rollup views included. Baselines, same run: the very same rows inserted raw into a plain copy of
// llm_requests (no HTTP, no validation, no de-dup, no rollups), once through the client's ordinary insert and once
// through the fastest raw path the writer itself uses (insertRawBody); ratios are against the faster of the two.
// Target: >= 50,000 events/s sustained.
import { rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { insertRawBody } from '@tollgate/storage';
import { encodeTabSeparated, LLM_REQUEST_COLUMNS, LlmRequestRow, telemetryEventSchema, TelemetryEventInput, toLlmRequestRow } from '@tollgate/telemetry';
import { benchEnv, fmt, startTelemetryApi } from './bench-env';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const PER_REQUEST = 5_000;
const IN_FLIGHT = Number(process.argv[3] ?? 8);
const TARGET = 50_000;

const FEATURES = ['search', 'chat', 'summarize', 'extract', 'classify', 'translate', 'code', 'rerank'];
const MODELS: [string, string][] = [
  ['openai', 'gpt-4o-mini'],
  ['openai', 'gpt-4o'],
  ['anthropic', 'claude-sonnet-4'],
  ['anthropic', 'claude-3-5-haiku'],
  ['google', 'gemini-2.5-flash'],
];

function event(i: number, t0: number): TelemetryEventInput {
  const [provider, model] = MODELS[i % MODELS.length];
  const input = 500 + (i % 3000);
  return {
    request_id: `bench-${i}`,
    ts: new Date(t0 + i).toISOString(),
    feature: FEATURES[i % FEATURES.length],
    customer: `customer-${i % 500}`,
    team: `team-${i % 6}`,
    env: i % 10 === 0 ? 'staging' : 'prod',
    virtual_key: `vk-${i % 40}`,
    provider,
    provider_account: `acct-${i % 3}`,
    model,
    status: i % 50 === 0 ? 500 : 200,
    input_tokens: input,
    cached_input_tokens: i % 4 === 0 ? Math.floor(input / 2) : 0,
    output_tokens: 50 + (i % 700),
    usage_source: 'provider',
    streamed: i % 2 === 0,
    ttft_ms: 80 + (i % 400),
    latency_ms: 300 + (i % 4000),
    // One in ten comes without a cost and is priced on arrival.
    ...(i % 10 === 0 ? {} : { estimated_cost: `0.${String(100000 + (i % 900000)).padStart(12, '0')}`, price_ref: 'bench' }),
  };
}

async function main() {
  const env = benchEnv('ingest');
  const t0 = Date.UTC(2026, 10, 20, 0, 0, 0);
  process.stdout.write(`generating ${fmt(TOTAL)} events...\n`);
  // Request bodies as bytes up front: the load generator shares the server's thread, so it should do little per request.
  const bodies: Buffer[] = [];
  const rows: LlmRequestRow[] = [];
  for (let start = 0; start < TOTAL; start += PER_REQUEST) {
    const batch = Array.from({ length: Math.min(PER_REQUEST, TOTAL - start) }, (_, k) => event(start + k, t0));
    bodies.push(Buffer.from(JSON.stringify(batch)));
    for (const e of batch) rows.push(toLlmRequestRow(telemetryEventSchema.parse({ estimated_cost: '0.000001', ...e })));
  }
  const running = await startTelemetryApi(env.vars);
  try {
    const ch = running.stores.clickhouse;
    // Baselines: the same rows, serialised and inserted in batches of 20,000 into a plain copy of the table (no HTTP,
    // no validation, no pricing, no de-dup lookup, no rollup views); serialisation is timed too.
    const columns = LLM_REQUEST_COLUMNS as [string, ...string[]];
    const settings = { date_time_input_format: 'basic' as const };
    const baseline = async (table: string, insert: (rows: LlmRequestRow[]) => Promise<unknown>) => {
      await ch.command({ query: `CREATE TABLE IF NOT EXISTS ${table} AS llm_requests` });
      const began = performance.now();
      for (let i = 0; i < rows.length; i += 20_000) await insert(rows.slice(i, i + 20_000));
      const seconds = (performance.now() - began) / 1000;
      return { seconds, rate: TOTAL / seconds };
    };
    const client = await baseline('llm_requests_bench_client', (batch) =>
      ch.insert({ table: 'llm_requests_bench_client', columns, values: Readable.from([encodeTabSeparated(batch)], { objectMode: false }), format: 'TabSeparated', clickhouse_settings: settings }),
    );
    const raw = await baseline('llm_requests_bench_raw', (batch) =>
      insertRawBody(ch, { table: 'llm_requests_bench_raw', columns, format: 'TabSeparated', body: encodeTabSeparated(batch), settings }),
    );
    const baselineRate = Math.max(client.rate, raw.rate);
    const [stored] = await (
      await ch.query({ query: 'SELECT (SELECT count() FROM llm_requests_bench_client) AS client, (SELECT count() FROM llm_requests_bench_raw) AS raw', format: 'JSONEachRow' })
    ).json<{ client: string; raw: string }>();
    if (Number(stored.client) !== TOTAL || Number(stored.raw) !== TOTAL) throw new Error(`baseline stored ${stored.client} and ${stored.raw} rows of ${TOTAL}`);
    // The baseline's row objects would otherwise stay live through the collector run, and every major GC of the
    // server (same process) would have to mark them.
    rows.length = 0;

    const url = `${running.url}/v1/telemetry`;
    const headers = { authorization: `Bearer ${env.collectorToken}`, 'content-type': 'application/json' };
    let next = 0;
    let accepted = 0;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const res = await fetch(url, { method: 'POST', headers, body });
          const result = (await res.json()) as { accepted: number; rejected: number };
          if (res.status !== 200 || result.rejected) throw new Error(`collector answered ${res.status}: ${JSON.stringify(result).slice(0, 300)}`);
          accepted += result.accepted;
        }
      }),
    );
    const collectorSeconds = (performance.now() - started) / 1000;
    const rate = accepted / collectorSeconds;
    // chDB runs in this process: its threads are included, so this says how many of the cores the ingest kept busy.
    const cpu = process.cpuUsage(cpuBefore);
    const cores = (cpu.user + cpu.system) / 1e6 / collectorSeconds;
    const [check] = await (await ch.query({ query: `SELECT count() AS n, (SELECT sum(requests) FROM llm_usage_hourly) AS rolled FROM llm_requests`, format: 'JSONEachRow' })).json<{ n: string; rolled: string }>();
    process.stdout.write(
      [
        `events                     ${fmt(TOTAL)} (${fmt(PER_REQUEST)} per request, ${IN_FLIGHT} requests in flight)`,
        `baseline client.insert     ${fmt(client.rate)} rows/s  (${client.seconds.toFixed(2)} s)`,
        `baseline raw insert        ${fmt(raw.rate)} rows/s  (${raw.seconds.toFixed(2)} s)`,
        `collector ingest           ${fmt(rate)} events/s  (${collectorSeconds.toFixed(2)} s, ${cores.toFixed(2)} cores busy, ${((cores * collectorSeconds * 1e6) / accepted).toFixed(1)} µs CPU per event)`,
        `collector / best baseline  ${(rate / baselineRate).toFixed(2)}x`,
        `collector / target 50k/s   ${(rate / TARGET).toFixed(2)}x ${rate >= TARGET ? '(met)' : '(NOT met)'}`,
        `stored rows ${check.n}, requests in hourly rollup ${check.rolled}`,
      ].join('\n') + '\n',
    );
    if (Number(check.n) !== TOTAL || Number(check.rolled) !== TOTAL) throw new Error('stored or rolled-up count differs from events sent');
  } finally {
    await running.stop();
    rmSync(env.dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
