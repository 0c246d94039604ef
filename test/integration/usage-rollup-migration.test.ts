import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseMigrator, createClickHouseClient } from '@tollgate/storage';
import { parseUsageQuery, UsageQueryService } from '@tollgate/telemetry';
import type { TelemetryEventInput } from '@tollgate/telemetry';
import { tempDir } from '../support/test-env';
import { copyClickHouseMigrations, writeEventVersions } from '../support/clickhouse-helpers';

/** A chDB database migrated by hand, one migration file at a time, with helpers to write requests and read totals. */
function migrationFixture(name: string) {
  const dir = tempDir(`tollgate-${name}-`);
  const migrations = join(dir, 'migrations');
  const f = {
    client: undefined as unknown as ClickHouseClient,
    migrator: undefined as unknown as ClickHouseMigrator,
    async open(upTo: number) {
      mkdirSync(migrations);
      f.client = await createClickHouseClient({ embeddedDir: join(dir, 'ch'), database: name.replaceAll('-', '_') });
      f.migrator = new ClickHouseMigrator(f.client, migrations);
      f.copyMigrations(upTo);
      await f.migrator.migrate();
    },
    async close() {
      await f.client?.close();
      rmSync(dir, { recursive: true, force: true });
    },
    copyMigrations(upTo: number) {
      copyClickHouseMigrations(migrations, upTo);
    },
    rows<T>(query: string) {
      return f.client.query({ query, format: 'JSONEachRow' }).then((r) => r.json<T>());
    },
    write(events: [Partial<TelemetryEventInput>, number][]) {
      return writeEventVersions(f.client, events);
    },
    totals(table: string) {
      return f.rows<{ requests: string; cost: string }>(`SELECT toString(sum(requests)) AS requests, toString(sum(estimated_cost)) AS cost FROM ${table}`).then((r) => r[0]);
    },
    rawTotals() {
      return f.rows<{ requests: string; cost: string }>(`SELECT toString(count()) AS requests, toString(sum(estimated_cost)) AS cost FROM llm_requests FINAL`).then((r) => r[0]);
    },
    /** Five requests over two hours, one of them restated to a new cost (a second row version): 5 requests, 0.9. */
    async writeFiveRequests() {
      const events: [Partial<TelemetryEventInput>, number][] = [100, 200, 300, 400, 5000].map((latency_ms, i) => [
        { request_id: `m-${i}`, ts: `2026-07-01T0${i % 2}:30:00Z`, customer: i < 3 ? 'acme' : 'globex', latency_ms, estimated_cost: '0.100000000000' },
        1,
      ]);
      assert.equal((await f.write(events)).written, 5);
      assert.equal((await f.write([[{ ...events[4][0], estimated_cost: '0.500000000000' }, 2]])).restated, 1);
    },
    /** Every rollup answers like the raw table (FINAL), latency percentiles included. */
    async sameAsRaw() {
      const service = new UsageQueryService(f.client);
      for (const params of [
        { from: '2026-07-01T00:00:00Z', to: '2026-07-02T00:00:00Z', grain: 'hour', group_by: 'customer,model' },
        { from: '2026-07-01T00:00:00Z', to: '2026-07-02T00:00:00Z', grain: 'day', group_by: 'feature,customer' },
        { from: '2026-07-01T00:00:00Z', to: '2026-08-01T00:00:00Z', grain: 'month', group_by: 'customer' },
      ]) {
        const q = parseUsageQuery(params);
        const rollup = await service.query(q);
        assert.equal(rollup.source, 'rollup');
        assert.deepEqual(rollup.rows, (await service.query(q, { forceRaw: true })).rows, `${rollup.table} ${JSON.stringify(params)}`);
      }
    },
  };
  return f;
}

const ROLLUPS = ['llm_usage_hourly', 'llm_usage_daily', 'llm_usage_daily_customer'];
/** 0008's 151 latency columns summed over a rollup: how many latencies it holds, and buckets 33 (96…105 ms) and 73 (4994…5512 ms). */
const columnHistogramSql = (table: string) =>
  `SELECT toString(sum(${Array.from({ length: 151 }, (_, i) => `latency_b${String(i).padStart(3, '0')}`).join(' + ')})) AS n, toString(sum(latency_b033)) AS b33, toString(sum(latency_b073)) AS b73 FROM ${table}`;

// 0008 rebuilds the rollups with latency histograms from the deduplicated raw rows; its .down.sql goes back to 0007's
// quantile states the same way. Both directions are checked on data written before the migration. The usage service
// reads 0013's layout, so answers are compared with the raw table once the latest migration is applied again.
describe('ClickHouse migration 0008 (latency histograms in the usage rollups)', () => {
  const f = migrationFixture('usage-rollup-migration');

  before(async () => {
    await f.open(7);
    await f.writeFiveRequests();
  });
  after(() => f.close());

  it('backfills the histograms from the deduplicated raw rows, each request counted once with its latest money', async () => {
    f.copyMigrations(8);
    assert.deepEqual(await f.migrator.migrate(), ['0008_llm_usage_latency_histogram.up.sql']);
    for (const table of ROLLUPS) assert.deepEqual(await f.totals(table), { requests: '5', cost: '0.9' }, table);
    // 100 ms falls in bucket 33, 5000 ms in bucket 73; five latencies in all.
    for (const table of ROLLUPS) assert.deepEqual((await f.rows(columnHistogramSql(table)))[0], { n: '5', b33: '1', b73: '1' }, table);
  });

  it('goes back to 0007\'s quantile states with its down file, rebuilt from raw rows, and forward again', async () => {
    assert.deepEqual(await f.migrator.rollback(1), ['8_llm_usage_latency_histogram']);
    const columns = await f.rows<{ table: string; type: string }>(
      `SELECT table, type FROM system.columns WHERE database = currentDatabase() AND table LIKE 'llm_usage_%' AND NOT endsWith(table, '_mv') AND name LIKE 'latency%' ORDER BY table`,
    );
    assert.deepEqual(
      columns.map((c) => [c.table, c.type]),
      ['llm_usage_daily', 'llm_usage_daily_customer', 'llm_usage_hourly'].map((t) => [t, 'AggregateFunction(quantilesBFloat16If(0.5, 0.95), UInt32, UInt8)']),
    );
    for (const table of ROLLUPS) assert.deepEqual(await f.totals(table), { requests: '5', cost: '0.9' }, table);
    const [q] = await f.rows<{ rollup: number[]; raw: number[] }>(
      `SELECT (SELECT quantilesBFloat16IfMerge(0.5, 0.95)(latency_ms) FROM llm_usage_daily) AS rollup, (SELECT quantilesBFloat16(0.5, 0.95)(latency_ms) FROM llm_requests FINAL) AS raw`,
    );
    assert.deepEqual(q.rollup, q.raw);
    // 0007's views run again: a request written now reaches the rollups.
    assert.equal((await f.write([[{ request_id: 'm-after-down', ts: '2026-07-01T05:00:00Z', latency_ms: 250 }, 1]])).written, 1);
    assert.deepEqual(await f.totals('llm_usage_hourly'), await f.rawTotals());

    assert.deepEqual(await f.migrator.migrate(), ['0008_llm_usage_latency_histogram.up.sql']);
    for (const table of ROLLUPS) assert.deepEqual(await f.totals(table), { requests: '6', cost: '0.9003' }, table);
    f.copyMigrations(Infinity);
    await f.migrator.migrate();
    assert.deepEqual(await f.migrator.pending(), []);
    await f.sameAsRaw();
  });
});

// 0013 keeps 0008's buckets and counts in one Map(bucket, count) column per rollup, rebuilt from the raw rows; its
// .down.sql goes back to 0008's 151 columns the same way.
describe('ClickHouse migration 0013 (the latency histogram as one map column)', () => {
  const f = migrationFixture('usage-histogram-map-migration');
  const histograms = (table: string) =>
    f.rows<{ histogram: Record<string, string> }>(`SELECT sumMap(latency_histogram) AS histogram FROM ${table}`).then((r) => r[0].histogram);
  const latencyColumns = () =>
    f.rows<{ table: string; n: string }>(
      `SELECT table, toString(count()) AS n FROM system.columns WHERE database = currentDatabase() AND table IN ('llm_usage_hourly', 'llm_usage_daily', 'llm_usage_daily_customer') AND name LIKE 'latency%' GROUP BY table ORDER BY table`,
    );

  before(async () => {
    await f.open(12);
    await f.writeFiveRequests();
  });
  after(() => f.close());

  it('moves the histograms into one map column per rollup: same counts, same money, same answers as raw rows', async () => {
    f.copyMigrations(13);
    assert.deepEqual(await f.migrator.migrate(), ['0013_llm_usage_latency_histogram_map.up.sql']);
    assert.deepEqual(await latencyColumns(), ['llm_usage_daily', 'llm_usage_daily_customer', 'llm_usage_hourly'].map((table) => ({ table, n: '1' })));
    for (const table of ROLLUPS) {
      assert.deepEqual(await f.totals(table), { requests: '5', cost: '0.9' }, table);
      // 100 → bucket 33, 200 → 40, 300 → 44, 400 → 47, 5000 → 73: the restated request's latency counted once.
      assert.deepEqual(await histograms(table), { '33': '1', '40': '1', '44': '1', '47': '1', '73': '1' }, table);
    }
    await f.sameAsRaw();
    // The new views run: a new request adds one latency, a restatement adds only money.
    assert.equal((await f.write([[{ request_id: 'm-after', ts: '2026-07-01T05:00:00Z', latency_ms: 3, estimated_cost: '0.000300000000' }, 1]])).written, 1);
    assert.equal((await f.write([[{ request_id: 'm-0', ts: '2026-07-01T00:30:00Z', customer: 'acme', latency_ms: 100, estimated_cost: '0.200000000000' }, 2]])).restated, 1);
    for (const table of ROLLUPS) {
      assert.deepEqual(await f.totals(table), { requests: '6', cost: '1.0003' }, table);
      assert.deepEqual(await histograms(table), { '3': '1', '33': '1', '40': '1', '44': '1', '47': '1', '73': '1' }, table);
    }
    await f.sameAsRaw();
  });

  it('goes back to 0008\'s columns with its down file, rebuilt from raw rows, and forward again', async () => {
    assert.deepEqual(await f.migrator.rollback(1), ['13_llm_usage_latency_histogram_map']);
    assert.deepEqual(await latencyColumns(), ['llm_usage_daily', 'llm_usage_daily_customer', 'llm_usage_hourly'].map((table) => ({ table, n: '151' })));
    for (const table of ROLLUPS) {
      assert.deepEqual(await f.totals(table), { requests: '6', cost: '1.0003' }, table);
      assert.deepEqual((await f.rows(columnHistogramSql(table)))[0], { n: '6', b33: '1', b73: '1' }, table);
    }
    assert.deepEqual(await f.migrator.migrate(), ['0013_llm_usage_latency_histogram_map.up.sql']);
    assert.deepEqual(await f.migrator.pending(), []);
    for (const table of ROLLUPS) assert.deepEqual(await f.totals(table), { requests: '6', cost: '1.0003' }, table);
    await f.sameAsRaw();
  });
});
