import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseMigrator, createClickHouseClient, projectRoot } from '@tollgate/storage';
import { ClickHouseTelemetryWriter, parseUsageQuery, telemetryEventSchema, toLlmRequestRow, UsageQueryService } from '@tollgate/telemetry';
import type { TelemetryEventInput } from '@tollgate/telemetry';
import { tempDir } from '../support/test-env';
import { telemetryEvent } from '../fixtures/telemetry/telemetry-events.fixture';

// 0008 rebuilds the rollups with latency histograms from the deduplicated raw rows; its .down.sql goes back to 0007's
// quantile states the same way. Both directions are checked on data written before the migration.
describe('ClickHouse migration 0008 (latency histograms in the usage rollups)', () => {
  const dir = tempDir('tollgate-usage-mig-');
  const migrations = join(dir, 'migrations');
  const source = join(projectRoot(), 'migrations', 'clickhouse');
  let client: ClickHouseClient;
  let migrator: ClickHouseMigrator;

  const copyMigrations = (upTo: number) => {
    for (const file of readdirSync(source)) if (Number(file.slice(0, 4)) <= upTo) copyFileSync(join(source, file), join(migrations, file));
  };
  const rows = <T>(query: string) => client.query({ query, format: 'JSONEachRow' }).then((r) => r.json<T>());
  const write = async (events: [Partial<TelemetryEventInput>, number][]) => {
    const writer = new ClickHouseTelemetryWriter(client, { flushIntervalMs: 1 });
    const outcome = writer.write(events.map(([e, version]) => toLlmRequestRow(telemetryEventSchema.parse(telemetryEvent(e)), undefined, version)));
    await writer.close();
    return outcome;
  };
  const totals = (table: string) =>
    rows<{ requests: string; cost: string }>(`SELECT toString(sum(requests)) AS requests, toString(sum(estimated_cost)) AS cost FROM ${table}`).then((r) => r[0]);
  const rawTotals = () => rows<{ requests: string; cost: string }>(`SELECT toString(count()) AS requests, toString(sum(estimated_cost)) AS cost FROM llm_requests FINAL`).then((r) => r[0]);

  before(async () => {
    mkdirSync(migrations);
    client = await createClickHouseClient({ embeddedDir: join(dir, 'ch'), database: 'usage_rollup_migration' });
    migrator = new ClickHouseMigrator(client, migrations);
    copyMigrations(7);
    await migrator.migrate();
    // Five requests over two hours, one of them restated to a new cost (a second row version).
    const events: [Partial<TelemetryEventInput>, number][] = [100, 200, 300, 400, 5000].map((latency_ms, i) => [
      { request_id: `m-${i}`, ts: `2026-07-01T0${i % 2}:30:00Z`, customer: i < 3 ? 'acme' : 'globex', latency_ms, estimated_cost: '0.100000000000' },
      1,
    ]);
    assert.equal((await write(events)).written, 5);
    assert.equal((await write([[{ ...events[4][0], estimated_cost: '0.500000000000' }, 2]])).restated, 1);
  });
  after(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sameAsRaw = async () => {
    const service = new UsageQueryService(client);
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
  };

  it('backfills the histograms from the deduplicated raw rows, each request counted once with its latest money', async () => {
    copyMigrations(8);
    assert.deepEqual(await migrator.migrate(), ['0008_llm_usage_latency_histogram.up.sql']);
    for (const table of ['llm_usage_hourly', 'llm_usage_daily', 'llm_usage_daily_customer']) assert.deepEqual(await totals(table), { requests: '5', cost: '0.9' }, table);
    const [hist] = await rows<{ n: string; b33: string; b73: string }>(
      `SELECT toString(sum(${Array.from({ length: 151 }, (_, i) => `latency_b${String(i).padStart(3, '0')}`).join(' + ')})) AS n, toString(sum(latency_b033)) AS b33, toString(sum(latency_b073)) AS b73 FROM llm_usage_daily`,
    );
    // 100 ms falls in bucket 33 (96…105 ms), 5000 ms in bucket 73 (4994…5512 ms); five latencies in all.
    assert.deepEqual(hist, { n: '5', b33: '1', b73: '1' });
    await sameAsRaw();
  });

  it('goes back to 0007\'s quantile states with its down file, rebuilt from raw rows, and forward again', async () => {
    assert.deepEqual(await migrator.rollback(1), ['8_llm_usage_latency_histogram']);
    const columns = await rows<{ table: string; type: string }>(
      `SELECT table, type FROM system.columns WHERE database = currentDatabase() AND table LIKE 'llm_usage_%' AND NOT endsWith(table, '_mv') AND name LIKE 'latency%' ORDER BY table`,
    );
    assert.deepEqual(
      columns.map((c) => [c.table, c.type]),
      ['llm_usage_daily', 'llm_usage_daily_customer', 'llm_usage_hourly'].map((t) => [t, 'AggregateFunction(quantilesBFloat16If(0.5, 0.95), UInt32, UInt8)']),
    );
    for (const table of ['llm_usage_hourly', 'llm_usage_daily', 'llm_usage_daily_customer']) assert.deepEqual(await totals(table), { requests: '5', cost: '0.9' }, table);
    const [q] = await rows<{ rollup: number[]; raw: number[] }>(
      `SELECT (SELECT quantilesBFloat16IfMerge(0.5, 0.95)(latency_ms) FROM llm_usage_daily) AS rollup, (SELECT quantilesBFloat16(0.5, 0.95)(latency_ms) FROM llm_requests FINAL) AS raw`,
    );
    assert.deepEqual(q.rollup, q.raw);
    // 0007's views run again: a request written now reaches the rollups.
    assert.equal((await write([[{ request_id: 'm-after-down', ts: '2026-07-01T05:00:00Z', latency_ms: 250 }, 1]])).written, 1);
    assert.deepEqual(await totals('llm_usage_hourly'), await rawTotals());

    assert.deepEqual(await migrator.migrate(), ['0008_llm_usage_latency_histogram.up.sql']);
    assert.deepEqual(await migrator.pending(), []);
    for (const table of ['llm_usage_hourly', 'llm_usage_daily', 'llm_usage_daily_customer']) assert.deepEqual(await totals(table), { requests: '6', cost: '0.9003' }, table);
    await sameAsRaw();
  });
});
