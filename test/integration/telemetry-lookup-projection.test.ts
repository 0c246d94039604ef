import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseMigrator, createClickHouseClient } from '@tollgate/storage';
import { DedupLookupParams, dedupLookupSql } from '@tollgate/telemetry';
import type { TelemetryEventInput } from '@tollgate/telemetry';
import { tempDir } from '../support/test-env';
import { copyClickHouseMigrations, writeEventVersions } from '../support/clickhouse-helpers';

// Migration 0012: the writer's de-dup lookup reads a batch's time window from the `by_ts` projection instead of the
// request_id of every row of the day. Checked on a day that already holds 200,000 requests spread over many
// feature × customer × model groups, as a busy deployment's table does once its parts have merged.
describe('the de-dup lookup on a day of stored requests (migration 0012, by_ts projection)', () => {
  const dir = tempDir('tollgate-lookup-');
  let client: ClickHouseClient;
  let migrator: ClickHouseMigrator;
  const WINDOW = { from: '2026-07-01 12:00:00.000', to: '2026-07-01 12:00:05.000' };

  const rows = <T>(query: string, params: Record<string, unknown> = {}) => client.query({ query, query_params: params, format: 'JSONEachRow' }).then((r) => r.json<T>());
  const write = (events: [Partial<TelemetryEventInput>, number][]) => writeEventVersions(client, events);
  /** Which table or projection the lookup for `ids` in the window reads, from EXPLAIN. */
  const lookupSource = async (ids: string[]) => {
    const params: DedupLookupParams = { days: ['2026-07-01'], min_ts: WINDOW.from, max_ts: WINDOW.to, ids: ids.map((id) => `${id}\n`).join('') };
    const plan = await (await client.query({ query: `EXPLAIN projections = 1 ${dedupLookupSql('llm_requests')}`, query_params: params, format: 'TabSeparatedRaw' })).text();
    return /ReadFromMergeTree \(([^)]+)\)/.exec(plan)?.[1];
  };
  /** Three stored requests inside the window, as the proxy first sent them (same id, same ts). */
  const storedInWindow = async () =>
    (
      await rows<{ request_id: string; stored_ts: string }>(
        `SELECT request_id, toString(ts) AS stored_ts FROM llm_requests
         WHERE ts BETWEEN {from:DateTime64(3, 'UTC')} AND {to:DateTime64(3, 'UTC')} ORDER BY ts LIMIT 3`,
        WINDOW,
      )
    ).map((r) => ({ request_id: r.request_id, ts: `${r.stored_ts.replace(' ', 'T')}Z` }));

  before(async () => {
    client = await createClickHouseClient({ embeddedDir: join(dir, 'ch'), database: 'lookup_projection' });
    // Migrations up to 0012, so that rolling back one step undoes 0012 whatever later files add.
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    copyClickHouseMigrations(migrations, 12);
    migrator = new ClickHouseMigrator(client, migrations);
    await migrator.migrate();
    await client.command({
      query: `INSERT INTO llm_requests (ts, request_id, feature, customer, model, provider, status, latency_ms, estimated_cost, currency, version)
              SELECT toDateTime64('2026-07-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(intDiv(number * 86400000, 200000)),
                     concat('day-', toString(number)), concat('feature-', toString(number % 8)), concat('customer-', toString(number % 500)),
                     concat('model-', toString(number % 5)), 'openai', 200, 100, toDecimal128('0.000100000000', 12), 'USD', 1
              FROM numbers(200000)`,
    });
  });
  after(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the batch window from the projection and still finds every re-send and restatement', async () => {
    assert.equal(await lookupSource(['day-1', 'not-stored']), 'by_ts');
    const stored = await storedInWindow();
    assert.equal(stored.length, 3);
    const outcome = await write([
      ...stored.map((r): [Partial<TelemetryEventInput>, number] => [{ request_id: r.request_id, ts: r.ts }, 1]),
      [{ request_id: 'fresh-1', ts: '2026-07-01T12:00:01.500Z' }, 1],
      [{ request_id: 'fresh-2', ts: '2026-07-01T12:00:02.500Z' }, 1],
    ]);
    assert.deepEqual(outcome, { written: 2, duplicates: 3, restated: 0 });
    // A new version of a stored request carries the money it supersedes.
    assert.deepEqual(await write([[{ request_id: stored[0].request_id, ts: stored[0].ts, estimated_cost: '0.000250000000' }, 2]]), { written: 0, duplicates: 0, restated: 1 });
    const [restated] = await rows<{ prev_version: string; prev_estimated_cost: string }>(
      `SELECT toString(prev_version) AS prev_version, toString(prev_estimated_cost) AS prev_estimated_cost FROM llm_requests WHERE request_id = {id:String} AND version = 2`,
      { id: stored[0].request_id },
    );
    assert.deepEqual(restated, { prev_version: '1', prev_estimated_cost: '0.0001' });
  });

  it('rolls back to reading the table, still de-duplicating, and forward again', async () => {
    assert.deepEqual(await migrator.rollback(1), ['12_llm_requests_ts_projection']);
    assert.match((await lookupSource(['day-1'])) ?? '', /(^|\.)llm_requests$/);
    const [again] = await storedInWindow();
    assert.deepEqual(await write([[{ request_id: again.request_id, ts: again.ts }, 1]]), { written: 0, duplicates: 1, restated: 0 });
    assert.deepEqual(await migrator.migrate(), ['0012_llm_requests_ts_projection.up.sql']);
    // The migration materialises the projection for stored rows in the background (a mutation); wait for it here.
    await client.command({ query: 'ALTER TABLE llm_requests MATERIALIZE PROJECTION by_ts', clickhouse_settings: { mutations_sync: '1' } });
    assert.equal(await lookupSource(['day-1']), 'by_ts');
  });
});
