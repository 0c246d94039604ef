import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseMigrator, createClickHouseClient } from '@tollgate/storage';
import { REQUEST_KEYS_BY_ID_SQL, RequestLookupService } from '@tollgate/telemetry';
import { tempDir } from '../support/test-env';
import { copyClickHouseMigrations, writeEventVersions } from '../support/clickhouse-helpers';

// Migration 0017 (projection by_request_id) on a table that already holds requests: they get the projection, the
// lookup reads it, and rolled back the lookup still answers (from the table).
describe('the lookup by id across migration 0017 (by_request_id projection)', () => {
  const dir = tempDir('tollgate-lookup-migration-');
  let client: ClickHouseClient;
  let migrator: ClickHouseMigrator;
  const migrations = join(dir, 'migrations');

  /**
   * What the key lookup of a request of the busy day reads. (For an id outside every big part's key range ClickHouse
   * may keep the table: the projection then prunes those parts anyway, and either way a mark or so is read.)
   */
  const keysSource = async () => {
    const plan = await (await client.query({ query: `EXPLAIN projections = 1 ${REQUEST_KEYS_BY_ID_SQL}`, query_params: { ids: ['day-500'] }, format: 'TabSeparatedRaw' })).text();
    return /ReadFromMergeTree \(([^)]+)\)/.exec(plan)?.[1];
  };

  before(async () => {
    client = await createClickHouseClient({ embeddedDir: join(dir, 'ch'), database: 'lookup_migration' });
    mkdirSync(migrations);
    copyClickHouseMigrations(migrations, 13);
    migrator = new ClickHouseMigrator(client, migrations);
    await migrator.migrate();
    // A day of 100,000 stored requests, so that reading the projection is cheaper than reading the table.
    await client.command({
      query: `INSERT INTO llm_requests (ts, request_id, feature, customer, model, provider, status, latency_ms, estimated_cost, currency, version)
              SELECT toDateTime64('2026-07-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(intDiv(number * 86400000, 100000)),
                     concat('day-', toString(number)), concat('feature-', toString(number % 8)), concat('customer-', toString(number % 500)),
                     concat('model-', toString(number % 5)), 'openai', 200, 100, toDecimal128('0.0001', 12), 'USD', 1
              FROM numbers(100000)`,
    });
    await writeEventVersions(client, [
      [{ request_id: 'm-1', ts: '2026-07-01T10:00:00.000Z', estimated_cost: '0.000100000000' }, 1],
      [{ request_id: 'm-2', ts: '2026-07-01T11:00:00.000Z', customer: 'globex', estimated_cost: '0.000200000000' }, 1],
    ]);
  });
  after(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('materialises the projection for stored rows, reads it, and still answers once rolled back', async () => {
    const service = new RequestLookupService(client);
    copyClickHouseMigrations(migrations, 17);
    const applied = await migrator.migrate();
    assert.ok(applied.includes('0017_llm_requests_request_id_projection.up.sql'), applied.join(', '));
    // The migration materialises the projection for stored parts in the background (a mutation); wait for it here.
    await client.command({ query: 'ALTER TABLE llm_requests MATERIALIZE PROJECTION by_request_id', clickhouse_settings: { mutations_sync: '1' } });
    assert.equal(await keysSource(), 'by_request_id');
    const found = await service.get('m-2');
    assert.deepEqual([found.attribution.customer, found.estimated_cost], ['globex', '0.000200000000']);

    const rolledBack = await migrator.rollback(1);
    assert.deepEqual(rolledBack, ['17_llm_requests_request_id_projection']);
    assert.match((await keysSource()) ?? '', /(^|\.)llm_requests$/);
    assert.equal((await service.get('m-1')).estimated_cost, '0.000100000000');
  });
});
