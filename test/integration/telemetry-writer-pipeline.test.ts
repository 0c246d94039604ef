import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClickHouseTelemetryWriter } from '@tollgate/telemetry';
import { migratedEmbeddedStores } from '../support/migrated-embedded-stores';
import { telemetryRow } from '../fixtures/telemetry/telemetry-events.fixture';

const row = (id: string, cost: string, version = 1, feature = 'search') => telemetryRow({ request_id: id, estimated_cost: cost, feature }, version);

// A batch is looked up while the one before it is still being inserted; these check that it is nonetheless decided
// against everything written before it (and against nothing that failed).
describe('ClickHouseTelemetryWriter with batches in flight back to back', () => {
  const stores = migratedEmbeddedStores();

  const select = async (query: string) => (await stores().clickhouse.query({ query, format: 'JSONEachRow' })).json<Record<string, string>>();

  it('treats a re-send or a newer version of a row from the batch just before as a duplicate or a restatement', async () => {
    const writer = new ClickHouseTelemetryWriter(stores().clickhouse, { maxBatchRows: 2, flushIntervalMs: 60_000 });
    // Two batches: [p-1, p-2] and [p-2 again, p-1 version 2].
    const outcomes = await Promise.all([writer.write([row('p-1', '0.001'), row('p-2', '0.002')]), writer.write([row('p-2', '0.002'), row('p-1', '0.004', 2)])]);
    assert.deepEqual(outcomes, [
      { written: 2, duplicates: 0, restated: 0 },
      { written: 0, duplicates: 1, restated: 1 },
    ]);
    await writer.close();
    assert.deepEqual(
      await select(`SELECT request_id, version, prev_version, toString(prev_estimated_cost) AS prev FROM llm_requests WHERE request_id LIKE 'p-%' ORDER BY request_id, version`),
      [
        { request_id: 'p-1', version: '1', prev_version: '0', prev: '0' },
        { request_id: 'p-1', version: '2', prev_version: '1', prev: '0.001' },
        { request_id: 'p-2', version: '1', prev_version: '0', prev: '0' },
      ],
    );
    assert.deepEqual(await select(`SELECT sum(requests) AS requests, toString(sum(estimated_cost)) AS cost FROM llm_usage_hourly WHERE feature = 'search'`), [
      { requests: '2', cost: '0.006' },
    ]);
  });

  it('writes rows of a failed batch that the next batch re-sends, since the failed one stored nothing', async () => {
    await stores().clickhouse.command({ query: 'CREATE TABLE llm_requests_guarded AS llm_requests' });
    await stores().clickhouse.command({ query: `ALTER TABLE llm_requests_guarded ADD CONSTRAINT no_poison CHECK feature != 'poison'` });
    const writer = new ClickHouseTelemetryWriter(stores().clickhouse, { table: 'llm_requests_guarded', maxBatchRows: 2, flushIntervalMs: 60_000, sleep: async () => undefined });
    const first = writer.write([row('g-1', '0.001'), row('g-bad', '0.001', 1, 'poison')]);
    const second = writer.write([row('g-1', '0.001'), row('g-2', '0.002')]);
    await assert.rejects(first, /could not be written/);
    assert.deepEqual(await second, { written: 2, duplicates: 0, restated: 0 });
    await writer.close();
    assert.deepEqual(await select(`SELECT request_id, version, prev_version FROM llm_requests_guarded ORDER BY request_id`), [
      { request_id: 'g-1', version: '1', prev_version: '0' },
      { request_id: 'g-2', version: '1', prev_version: '0' },
    ]);
  });
});
