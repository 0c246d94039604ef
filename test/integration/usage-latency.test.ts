import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseMigrator, createClickHouseClient, projectRoot } from '@tollgate/storage';
import { ClickHouseTelemetryWriter, LATENCY_BUCKETS, latencyBucket, latencyBucketSql, parseUsageQuery, UsageQueryService, UsageRow } from '@tollgate/telemetry';
import { tempDir } from '../support/test-env';
import { telemetryRow } from '../fixtures/telemetry/telemetry-events.fixture';

/** The ⌈q·n⌉-th smallest latency: what latency_p50_ms / latency_p95_ms estimate. */
function nearestRank(latencies: number[], percent: number): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.ceil((sorted.length * percent) / 100) - 1];
}

describe('usage latency percentiles (chDB, real migrations)', () => {
  const dir = tempDir('tollgate-usage-latency-');
  let client: ClickHouseClient;
  let writer: ClickHouseTelemetryWriter;
  let service: UsageQueryService;
  const row = telemetryRow;
  // The writer's flush timer does not hold the process open (no server runs here): flush explicitly.
  const store = async (rows: ReturnType<typeof row>[]) => {
    const outcome = writer.write(rows);
    await writer.flush();
    return outcome;
  };
  const usage = (params: Record<string, string>, forceRaw = false) => service.query(parseUsageQuery(params), { forceRaw });

  before(async () => {
    client = await createClickHouseClient({ embeddedDir: join(dir, 'ch'), database: 'usage_latency' });
    await new ClickHouseMigrator(client, join(projectRoot(), 'migrations', 'clickhouse')).migrate();
    writer = new ClickHouseTelemetryWriter(client, { flushIntervalMs: 1 });
    service = new UsageQueryService(client);
  });
  after(async () => {
    await writer?.close();
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts every latency in the same bucket in ClickHouse (views and raw path) as in TypeScript', async () => {
    // Both ends of every bucket: 302 requests, so every bucket of the rollups' histogram must count exactly 2.
    const edges = LATENCY_BUCKETS.flatMap((b, i) => [b.low, b.high].map((latency_ms, j) => ({ i, latency_ms, j })));
    const rows = edges.map((e) => row({ request_id: `edge-${e.i}-${e.j}`, ts: '2026-06-01T03:00:00Z', feature: 'edges', latency_ms: e.latency_ms }));
    assert.equal((await store(rows)).written, 302);
    const raw = await (
      await client.query({
        query: `SELECT latency_ms, ${latencyBucketSql('latency_ms')} AS bucket FROM llm_requests FINAL WHERE feature = 'edges' ORDER BY latency_ms`,
        format: 'JSONEachRow',
      })
    ).json<{ latency_ms: number; bucket: number }>();
    assert.deepEqual(raw.map((r) => r.bucket), raw.map((r) => latencyBucket(r.latency_ms)));
    for (const table of ['llm_usage_hourly', 'llm_usage_daily']) {
      const [rollup] = await (
        await client.query({ query: `SELECT sumMap(latency_histogram) AS histogram FROM ${table} WHERE feature = 'edges'`, format: 'JSONEachRow' })
      ).json<{ histogram: Record<string, string> }>();
      const counts = LATENCY_BUCKETS.map((_, i) => Number(rollup.histogram[String(i)]));
      assert.deepEqual(counts, LATENCY_BUCKETS.map(() => 2), table);
    }
  });

  it('reports hand-computed nearest-rank percentiles, the same from every rollup and from raw rows', async () => {
    // Ten requests over two hours. Sorted: 3, 11, 100, 100, 250, 300, 450, 1000, 5000, 600000 ms.
    // p50 = 5th (⌈0.5·10⌉) = 250 ms: bucket floor(7·log2 250) − 13 = 42 holds 232…255 ms (2^(55/7) ≈ 231.9, 2^(56/7) = 256),
    //       reported as 2·232·255 / (232 + 255) = 242.957.
    // p95 = 10th (⌈0.95·10⌉) = 600000 ms: bucket 121 holds 578861…639114 ms, reported as 607497.148.
    const latencies = [450, 3, 100, 5000, 11, 300, 100, 600000, 1000, 250];
    await store(latencies.map((latency_ms, i) => row({ request_id: `hand-${i}`, ts: `2026-06-02T0${1 + (i % 2)}:10:00Z`, feature: 'hand', customer: 'hand-co', latency_ms })));
    const window = { from: '2026-06-02T00:00:00Z', to: '2026-06-03T00:00:00Z', feature: 'hand' };
    const answers = [
      await usage({ ...window, grain: 'day', group_by: 'feature' }),
      await usage({ ...window, grain: 'month', group_by: 'feature' }),
      await usage({ ...window, grain: 'day', group_by: 'feature', from: '2026-06-02T01:00:00Z' }),
      await usage({ ...window, grain: 'day', group_by: 'feature' }, true),
    ];
    assert.deepEqual(answers.map((a) => a.table), ['llm_usage_daily', 'llm_usage_daily', 'llm_usage_hourly', 'llm_requests']);
    for (const a of answers) assert.deepEqual(a.rows.map((r) => [r.requests, r.latency_p50_ms, r.latency_p95_ms]), [[10, 242.957, 607497.148]], a.table);

    // The hour 01:00 alone: 450, 100, 11, 100, 1000 (sorted 11, 100, 100, 450, 1000): p50 = 3rd = 100 ms, in 96…105 ms
    // (2^(46/7) ≈ 95.1, 2^(47/7) ≈ 105.02) → 2·96·105 / 201 = 100.299; p95 = 5th = 1000 ms, in 928…1023 → 973.187.
    // And a single 7 ms request is exact.
    const hour = await usage({ from: '2026-06-02T01:00:00Z', to: '2026-06-02T02:00:00Z', grain: 'hour', group_by: 'feature', feature: 'hand' });
    assert.deepEqual(hour.rows.map((r) => [r.requests, r.latency_p50_ms, r.latency_p95_ms]), [[5, 100.299, 973.187]]);
    await store([row({ request_id: 'seven', ts: '2026-06-02T05:00:00Z', feature: 'seven', latency_ms: 7 })]);
    const seven = await usage({ from: '2026-06-02T05:00:00Z', to: '2026-06-02T06:00:00Z', grain: 'hour', group_by: 'feature', feature: 'seven' });
    assert.deepEqual(seven.rows.map((r) => [r.latency_p50_ms, r.latency_p95_ms]), [[7, 7]]);
  });

  it('counts a request latency once under re-sent duplicates and restated versions (writer and SQL)', async () => {
    // 100, 100, 1000 ms: p50 = 2nd = 100 (→ 100.299), p95 = 3rd = 1000 (bucket 928…1023 → 973.187). Were the 1000 ms
    // request counted again per restated version, p50 would move to 1000 ms.
    const events = [100, 100, 1000].map((latency_ms, i) => ({ request_id: `rs-${i}`, ts: '2026-06-03T10:00:00Z', feature: 'restated', customer: 'rs-co', latency_ms, estimated_cost: '0.100000000000' }));
    assert.equal((await store(events.map((e) => row(e)))).written, 3);
    assert.equal((await store(events.map((e) => row(e)))).duplicates, 3);
    assert.deepEqual(await store([row({ ...events[2], estimated_cost: '0.200000000000' }, 2)]), { written: 0, duplicates: 0, restated: 1 });
    assert.deepEqual(await store([row({ ...events[2], estimated_cost: '0.300000000000' }, 3)]), { written: 0, duplicates: 0, restated: 1 });
    await client.command({
      query: `INSERT INTO llm_requests
              SELECT * REPLACE (estimated_cost * 2 AS estimated_cost, version + 1 AS version, version AS prev_version,
                                estimated_cost AS prev_estimated_cost, ifNull(provider_cost, toDecimal128(0, 12)) AS prev_provider_cost)
              FROM llm_requests FINAL WHERE request_id = 'rs-2'`,
    });
    const window = { from: '2026-06-03T00:00:00Z', to: '2026-06-04T00:00:00Z', feature: 'restated' };
    const shapes: [Record<string, string>, string][] = [
      [{ ...window, grain: 'hour', group_by: 'feature,customer' }, 'llm_usage_hourly'],
      [{ ...window, grain: 'day', group_by: 'feature,customer,model' }, 'llm_usage_daily'],
      [{ from: window.from, to: window.to, grain: 'day', group_by: 'customer', customer: 'rs-co' }, 'llm_usage_daily_customer'],
    ];
    for (const [params, table] of shapes) {
      const rollup = await usage(params);
      const raw = await usage(params, true);
      assert.equal(rollup.table, table);
      assert.deepEqual(rollup.rows, raw.rows, table);
      assert.deepEqual(rollup.rows.map((r) => [r.requests, r.estimated_cost, r.latency_p50_ms, r.latency_p95_ms]), [[3, '0.800000000000', 100.299, 973.187]], table);
    }
  });

  it('stays within each bucket\'s error bound of the exact percentile, from 0 ms to 2 hours, on every path', async () => {
    // 1,200 requests, log-uniform from 1 ms to ~2 h (plus some 0 ms), over 4 groups and 6 hours.
    const latencies: number[] = [];
    const events = Array.from({ length: 1200 }, (_, i) => {
      const latency_ms = i % 97 === 0 ? 0 : Math.floor(Math.exp(((i * 7919) % 1200) / 1200 * Math.log(7_200_000)));
      latencies.push(latency_ms);
      return { request_id: `spread-${i}`, ts: `2026-06-04T${String(10 + (i % 6)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`, feature: 'spread', customer: i % 5 < 3 ? 'sp-0' : 'sp-1', model: i % 7 < 3 ? 'gpt-4o' : 'gpt-4o-mini', latency_ms };
    });
    await store(events.map((e) => row(e)));
    const check = (rows: UsageRow[], pick: (r: UsageRow) => number[]) => {
      for (const r of rows) {
        const group = pick(r);
        assert.equal(r.requests, group.length);
        for (const [percent, reported] of [[50, r.latency_p50_ms], [95, r.latency_p95_ms]] as const) {
          const exact = nearestRank(group, percent);
          const bound = LATENCY_BUCKETS[latencyBucket(exact)].maxRelativeError;
          const error = exact === 0 ? reported! : Math.abs(reported! - exact) / exact;
          assert.ok(error <= bound + 1e-9, `p${percent} of ${JSON.stringify(r.group)} ${r.bucket}: ${reported} vs exact ${exact} (bound ${bound})`);
        }
      }
    };
    const byEvent = (keep: (e: (typeof events)[number]) => boolean) => events.filter(keep).map((e) => e.latency_ms);
    const window = { from: '2026-06-04T00:00:00Z', to: '2026-06-05T00:00:00Z', feature: 'spread' };
    for (const forceRaw of [false, true]) {
      const byModel = await usage({ ...window, grain: 'day', group_by: 'customer,model' }, forceRaw);
      assert.equal(byModel.rows.length, 4);
      check(byModel.rows, (r) => byEvent((e) => e.customer === r.group.customer && e.model === r.group.model));
      const byHour = await usage({ ...window, grain: 'hour', group_by: 'customer' }, forceRaw);
      assert.equal(byHour.rows.length, 12);
      check(byHour.rows, (r) => byEvent((e) => e.customer === r.group.customer && e.ts.slice(0, 13) === r.bucket.slice(0, 13)));
      const all = await usage({ ...window, grain: 'day', group_by: 'feature' }, forceRaw);
      check(all.rows, () => latencies);
    }
    const fromRollup = await usage({ ...window, grain: 'hour', group_by: 'customer' });
    assert.equal(fromRollup.table, 'llm_usage_hourly');
    assert.deepEqual(fromRollup.rows, (await usage({ ...window, grain: 'hour', group_by: 'customer' }, true)).rows);
  });
});
