// The writer's de-dup lookup as a day fills up: CPU per lookup of one 4,000-id batch (half of it stored, as a re-sent
// batch would be, half new) against days of 250k, 1M and 4M stored requests, spread over many feature × customer ×
// model groups and merged, as a busy deployment's parts end up. Baseline, same run and same rows: a copy of
// llm_requests without the `by_ts` projection (migration 0012), which is what the lookup read before it.
import { rmSync } from 'node:fs';
import { loadConfig } from '@tollgate/core';
import { Stores } from '@tollgate/storage';
import { DedupLookupParams, dedupLookupSql } from '@tollgate/telemetry';
import { benchEnv, fmt } from './bench-env';

const DAY_SIZES = (process.argv[2] ?? '250000,1000000,4000000').split(',').map(Number);
const BATCH_IDS = 4_000;
const RUNS = 7;
const PLAIN = 'llm_requests_no_projection';

async function main() {
  const env = benchEnv('dedup-lookup');
  const stores = await Stores.open(loadConfig(env.vars));
  try {
    await stores.migrate();
    const ch = stores.clickhouse;
    await ch.command({ query: `CREATE TABLE ${PLAIN} AS llm_requests` });
    await ch.command({ query: `ALTER TABLE ${PLAIN} DROP PROJECTION IF EXISTS by_ts` });
    const lookup = async (table: string, params: DedupLookupParams) => {
      const samples: number[] = [];
      let found = 0;
      for (let run = 0; run < RUNS; run++) {
        const before = process.cpuUsage(); // chDB runs in this process: its threads are counted too
        found = (await (await ch.query({ query: dedupLookupSql(table), query_params: params, format: 'JSONEachRow' })).json()).length;
        const used = process.cpuUsage(before);
        samples.push((used.user + used.system) / 1000);
      }
      samples.sort((a, b) => a - b);
      return { ms: samples[RUNS >> 1], found };
    };

    let stored = 0;
    console.log(`de-dup lookup of a ${fmt(BATCH_IDS)}-id batch (half stored, half new), CPU ms per lookup, median of ${RUNS}`);
    console.log('requests stored that day | without projection (baseline) | with by_ts projection | baseline / projection');
    for (const size of DAY_SIZES) {
      // The same rows into both tables: ids day-<n> in 8 × 500 × 5 groups, each step's new rows spread over the day.
      const insert = (table: string) =>
        ch.command({
          query: `INSERT INTO ${table} (ts, request_id, feature, customer, model, provider, status, latency_ms, estimated_cost, currency, version)
                  SELECT toDateTime64('2026-11-20 00:00:00', 3, 'UTC') + toIntervalMillisecond(intDiv(n * 86400000, ${size})),
                         concat('day-', toString(n)), concat('feature-', toString(n % 8)), concat('customer-', toString(n % 500)),
                         concat('model-', toString(n % 5)), 'openai', 200, 100, toDecimal128('0.000100000000', 12), 'USD', 1
                  FROM (SELECT number + ${stored} AS n FROM numbers(${size - stored}))`,
          clickhouse_settings: { max_insert_block_size: '1000000' },
        });
      await insert('llm_requests');
      await insert(PLAIN);
      // Merged, as a day's parts end up: the sorting key (day, feature, customer, model, request_id) scatters ts.
      for (const table of ['llm_requests', PLAIN]) await ch.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
      stored = size;
      // A batch as the proxy sends it: consecutive requests of about one second, half of them already stored.
      const rows = await (
        await ch.query({
          query: `SELECT request_id, toString(ts) AS stored_ts FROM llm_requests WHERE ts >= toDateTime64('2026-11-20 12:00:00', 3, 'UTC') ORDER BY ts LIMIT ${BATCH_IDS / 2}`,
          format: 'JSONEachRow',
        })
      ).json<{ request_id: string; stored_ts: string }>();
      const ids = rows.map((r) => r.request_id);
      for (let i = 0; ids.length < BATCH_IDS; i++) ids.push(`new-${size}-${i}`);
      const params: DedupLookupParams = { days: ['2026-11-20'], min_ts: rows[0].stored_ts, max_ts: rows[rows.length - 1].stored_ts, ids: ids.map((id) => `${id}\n`).join('') };
      const baseline = await lookup(PLAIN, params);
      const projected = await lookup('llm_requests', params);
      if (baseline.found !== rows.length || projected.found !== rows.length) throw new Error(`lookup found ${baseline.found} / ${projected.found} of ${rows.length} stored ids`);
      console.log(`${fmt(size).padStart(24)} | ${baseline.ms.toFixed(1).padStart(29)} | ${projected.ms.toFixed(1).padStart(21)} | ${(baseline.ms / projected.ms).toFixed(1)}x`);
    }
  } finally {
    await stores.close();
    rmSync(env.dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
