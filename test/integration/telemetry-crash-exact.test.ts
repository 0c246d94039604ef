import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClickHouseTelemetryWriter, LlmUsageRollupRepairService } from '@tollgate/telemetry';
import { migratedEmbeddedStores } from '../support/migrated-embedded-stores';
import { telemetryRow } from '../fixtures/telemetry/telemetry-events.fixture';

const VIEWS = ['llm_usage_hourly_mv', 'llm_usage_daily_mv', 'llm_usage_daily_customer_mv', 'llm_request_ids_mv'];
const ROLLUPS = [
  { table: 'llm_usage_hourly', day: 'toDate(hour)' },
  { table: 'llm_usage_daily', day: 'day' },
  { table: 'llm_usage_daily_customer', day: 'day' },
];

const row = telemetryRow;
/** `n` requests `<prefix>-<i>` on 2026-11-<day>, spread over a few customers and models, each with its own cost. */
const requests = (prefix: string, n: number, day = 20, shiftMs = 0) =>
  Array.from({ length: n }, (_, i) =>
    row({
      request_id: `${prefix}-${i}`,
      ts: new Date(Date.UTC(2026, 10, day, 10, 0, 0, i * 7) + shiftMs).toISOString(),
      customer: `c-${i % 3}`,
      model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini',
      estimated_cost: `0.${String(1000 + i).padStart(6, '0')}`,
      input_tokens: 100 + i,
      output_tokens: 10 + i,
      cached_input_tokens: 0,
      latency_ms: 5 + i * 13,
    }),
  );

// Design invariant 3 under faults: whatever a crash or a re-send leaves, every rollup ends up agreeing with the raw
// table (FINAL), figure by figure and day by day.
describe('crash-exact rollups on the embedded ClickHouse', () => {
  const stores = migratedEmbeddedStores();

  const select = async <T>(query: string) => (await stores().clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
  const FIGURES = 'toString(n) AS requests, toString(c) AS cost, toString(t) AS tokens, toString(l) AS latencies';
  /** Per day: requests, cost, tokens and latency count, from the raw table and from each rollup. */
  const byDay = async () => {
    const raw = await select<Record<string, string>>(
      `SELECT toString(day) AS day, ${FIGURES} FROM (SELECT toDate(ts) AS day, count() AS n, sum(estimated_cost) AS c,
              sum(input_tokens + output_tokens) AS t, count() AS l FROM llm_requests FINAL GROUP BY day) ORDER BY day`,
    );
    const rollups: Record<string, Record<string, string>[]> = {};
    for (const r of ROLLUPS) {
      rollups[r.table] = await select<Record<string, string>>(
        `SELECT toString(day) AS day, ${FIGURES} FROM (SELECT ${r.day} AS day, sum(requests) AS n, sum(estimated_cost) AS c,
                sum(input_tokens + output_tokens) AS t, sum(arraySum(mapValues(latency_histogram))) AS l FROM ${r.table} GROUP BY day)
         WHERE n != 0 OR c != 0 ORDER BY day`,
      );
    }
    return { raw, rollups };
  };
  const assertAgree = async () => {
    const { raw, rollups } = await byDay();
    for (const [table, rows] of Object.entries(rollups)) assert.deepEqual(rows, raw, `${table} agrees with llm_requests FINAL`);
    return raw;
  };
  const rawCount = async () => Number((await select<{ n: string }>(`SELECT count() AS n FROM llm_requests FINAL`))[0].n);

  it('counts an event re-sent with a shifted ts (1 ms, a day) once, and restates it at its stored ts', async () => {
    const writer = new ClickHouseTelemetryWriter(stores().clickhouse, { flushIntervalMs: 1 });
    assert.deepEqual(await writer.write(requests('shift', 100)), { written: 100, duplicates: 0, restated: 0 });
    assert.deepEqual(await writer.write(requests('shift', 100, 20, 1)), { written: 0, duplicates: 100, restated: 0 });
    assert.deepEqual(await writer.write(requests('shift', 100, 21)), { written: 0, duplicates: 100, restated: 0 });
    // A newer version sent with another ts supersedes the stored row where it is (same sorting key, same rollup bucket).
    const restated = row({ request_id: 'shift-5', ts: '2026-11-22T00:00:00.000Z', estimated_cost: '2.5', customer: 'c-2', model: 'gpt-4o', input_tokens: 105, output_tokens: 15, cached_input_tokens: 0, latency_ms: 70 }, 2);
    assert.deepEqual(await writer.write([restated]), { written: 0, duplicates: 0, restated: 1 });
    await writer.close();
    const [stored] = await select<{ ts: string; cost: string }>(`SELECT toString(ts) AS ts, toString(estimated_cost) AS cost FROM llm_requests FINAL WHERE request_id = 'shift-5'`);
    assert.deepEqual(stored, { ts: '2026-11-20 10:00:00.035', cost: '2.5' });
    const raw = await assertAgree();
    assert.deepEqual(raw.map((d) => [d.day, d.requests]), [['2026-11-20', '100']]);
  });

  it('after a crash that stored raw rows without the rollups and the id index, a restarted writer rebuilds them and counts the re-sent events once', async () => {
    const before = await rawCount();
    // The crash: the INSERT lands in llm_requests but not in its views (kill -9 between the parts).
    for (const view of VIEWS) await stores().clickhouse.command({ query: `DETACH TABLE ${view}` });
    try {
      const dying = new ClickHouseTelemetryWriter(stores().clickhouse, { flushIntervalMs: 1 });
      assert.deepEqual(await dying.write([...requests('crash', 60, 23), ...requests('crash-b', 5, 20)]), { written: 65, duplicates: 0, restated: 0 });
    } finally {
      for (const view of VIEWS) await stores().clickhouse.command({ query: `ATTACH TABLE ${view}` });
    }
    assert.equal(await rawCount(), before + 65);
    const { rollups } = await byDay();
    assert.equal(rollups.llm_usage_daily.find((d) => d.day === '2026-11-23'), undefined, 'the crash left the rollups behind');

    // The restarted process re-sends what it had not seen acknowledged: recognised as duplicates, and yet counted.
    const restarted = new ClickHouseTelemetryWriter(stores().clickhouse, { flushIntervalMs: 1 });
    assert.deepEqual(await restarted.write(requests('crash', 60, 23)), { written: 0, duplicates: 60, restated: 0 });
    assert.deepEqual(await restarted.write(requests('crash', 60, 23, 3_600_000)), { written: 0, duplicates: 60, restated: 0 });
    await restarted.close();
    const raw = await assertAgree();
    assert.deepEqual(raw.map((d) => [d.day, d.requests]), [['2026-11-20', '105'], ['2026-11-23', '60']]);
  });

  it('repairs only the rollups and days that disagree, one month partition swapped at a time, and then finds nothing to do', async () => {
    // A rollup that counted one day twice (an INSERT retried after its parts had landed).
    await stores().clickhouse.command({ query: `INSERT INTO llm_usage_hourly SELECT * FROM llm_usage_hourly WHERE toDate(hour) = '2026-11-23'` });
    // Another that lost a day's rows.
    await stores().clickhouse.command({ query: `ALTER TABLE llm_usage_daily_customer DELETE WHERE day = '2026-11-20' SETTINGS mutations_sync = 2` });
    const repair = new LlmUsageRollupRepairService(stores().clickhouse);
    const result = await repair.repair();
    assert.deepEqual(result.rebuiltDays, { llm_usage_hourly: ['2026-11-23'], llm_usage_daily_customer: ['2026-11-20'] });
    assert.deepEqual(result.reindexedDays, []);
    await assertAgree();
    assert.deepEqual(await repair.repair(), { checkedDays: 2, reindexedDays: [], rebuiltDays: {} });
  });

  it('reconcile() repairs before any telemetry arrives and orders itself between batches', async () => {
    await stores().clickhouse.command({ query: `ALTER TABLE llm_usage_daily DELETE WHERE day = '2026-11-23' SETTINGS mutations_sync = 2` });
    const writer = new ClickHouseTelemetryWriter(stores().clickhouse, { flushIntervalMs: 1 });
    const writing = writer.write(requests('late', 10, 24));
    const result = await writer.reconcile();
    assert.deepEqual(result?.rebuiltDays, { llm_usage_daily: ['2026-11-23'] });
    assert.deepEqual(await writing, { written: 10, duplicates: 0, restated: 0 });
    await writer.close();
    const raw = await assertAgree();
    assert.deepEqual(raw.map((d) => [d.day, d.requests]), [['2026-11-20', '105'], ['2026-11-23', '60'], ['2026-11-24', '10']]);
  });
});
