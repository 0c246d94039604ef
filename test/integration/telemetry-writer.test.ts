import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClickHouseLogAdapter } from '@tollgate/storage';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createClient } from '@clickhouse/client';
import { ClickHouseTelemetryWriter, LlmRequestRow, TelemetryWriteError, telemetryEventSchema, toLlmRequestRow } from '@tollgate/telemetry';
import { migratedEmbeddedStores } from '../support/migrated-embedded-stores';
import { telemetryEvent, telemetryRow } from '../fixtures/telemetry/telemetry-events.fixture';

const row = (id: string, cost = '0.001', version = 1) => telemetryRow({ request_id: id, estimated_cost: cost }, version);

// The writer is store-agnostic (ClickHouse only, which is always chDB here), so the embedded target suffices.
describe('ClickHouseTelemetryWriter on the embedded ClickHouse', () => {
  const stores = migratedEmbeddedStores();

  const count = async (where = '1') => {
    const rs = await stores().clickhouse.query({ query: `SELECT count() AS n, toString(sum(estimated_cost)) AS cost FROM llm_requests FINAL WHERE ${where}`, format: 'JSONEachRow' });
    return (await rs.json<{ n: string; cost: string }>())[0];
  };

  it('writes a batch, skips re-sent request_ids and writes a higher version as a restatement', async () => {
    const writer = new ClickHouseTelemetryWriter(stores().clickhouse, { flushIntervalMs: 5 });
    const first = await writer.write([row('w-1'), row('w-2'), row('w-2')]);
    assert.deepEqual(first, { written: 2, duplicates: 1, restated: 0 });
    const again = await writer.write([row('w-1'), row('w-3', '0.002')]);
    assert.deepEqual(again, { written: 1, duplicates: 1, restated: 0 });
    const restated = await writer.write([row('w-1', '0.005', 2)]);
    assert.deepEqual(restated, { written: 0, duplicates: 0, restated: 1 });
    const raw = await (
      await stores().clickhouse.query({ query: `SELECT request_id, version, prev_version, toString(prev_estimated_cost) AS prev FROM llm_requests WHERE request_id LIKE 'w-%' ORDER BY request_id, version`, format: 'JSONEachRow' })
    ).json();
    assert.deepEqual(raw, [
      { request_id: 'w-1', version: '1', prev_version: '0', prev: '0' },
      { request_id: 'w-1', version: '2', prev_version: '1', prev: '0.001' },
      { request_id: 'w-2', version: '1', prev_version: '0', prev: '0' },
      { request_id: 'w-3', version: '1', prev_version: '0', prev: '0' },
    ]);
    assert.deepEqual(await count(`request_id LIKE 'w-%'`), { n: '3', cost: '0.008' });
    await writer.close();
  });

  it('stores text with tabs, newlines, backslashes and quotes (tags included) unchanged, and finds such a request_id again', async () => {
    const writer = new ClickHouseTelemetryWriter(stores().clickhouse, { flushIntervalMs: 1 });
    const nasty = "a\tb\nc\\d'e\"f";
    const requestId = `t-1 ${nasty}`;
    const event = telemetryEventSchema.parse(telemetryEvent({ request_id: requestId, feature: nasty, tags: { [nasty]: nasty, plain: 'x' }, attempts: [{ provider: 'openai', model: 'gpt-4o', status: 429, latency_ms: 5 }] }));
    assert.deepEqual(await writer.write([toLlmRequestRow(event)]), { written: 1, duplicates: 0, restated: 0 });
    // The de-dup lookup reads ids as TabSeparated text: an escaped id must match its stored self, not slip through.
    assert.deepEqual(await writer.write([toLlmRequestRow(event)]), { written: 0, duplicates: 1, restated: 0 });
    await writer.close();
    const stored = await (
      await stores().clickhouse.query({ query: `SELECT feature, tags, attempts FROM llm_requests WHERE request_id = {id:String}`, query_params: { id: requestId }, format: 'JSONEachRow' })
    ).json<{ feature: string; tags: Record<string, string>; attempts: string }>();
    assert.equal(stored.length, 1);
    assert.equal(stored[0].feature, nasty);
    assert.deepEqual(stored[0].tags, { [nasty]: nasty, plain: 'x' });
    assert.equal(JSON.parse(stored[0].attempts)[0].status, 429);
  });

  it('flushes enqueued rows on flush() and on size, and refuses rows after close', async () => {
    const writer = new ClickHouseTelemetryWriter(stores().clickhouse, { flushIntervalMs: 60_000, maxBatchRows: 3 });
    writer.enqueue([row('e-1'), row('e-2')]);
    await writer.flush();
    assert.equal((await count(`request_id LIKE 'e-%'`)).n, '2');
    await writer.write([row('e-3'), row('e-4'), row('e-5'), row('e-6')]);
    assert.equal((await count(`request_id LIKE 'e-%'`)).n, '6');
    await writer.close();
    assert.throws(() => writer.enqueue([row('e-7')]), /closed/);
  });

  it('surfaces a permanent error to write() and to flush() with the failed rows, after retrying transient ones', async () => {
    const sleeps: number[] = [];
    const failed: LlmRequestRow[][] = [];
    const writer = new ClickHouseTelemetryWriter(stores().clickhouse, {
      table: 'no_such_table',
      dedupe: false,
      flushIntervalMs: 1,
      onBatchFailed: (rows) => failed.push(rows),
      sleep: async (ms) => void sleeps.push(ms),
    });
    await assert.rejects(writer.write([row('f-1')]), /could not be written/);
    writer.enqueue([row('f-2')]);
    await assert.rejects(writer.flush(), (error: Error & { rows: LlmRequestRow[] }) => error.rows.length === 1 && error.rows[0].request_id === 'f-2');
    assert.deepEqual(failed.map((rows) => rows.map((r) => r.request_id)), [['f-2']]);
    assert.equal(sleeps.length, 0, 'an unknown table is permanent: no retries');
    assert.equal(writer.stats().failedRows, 2);
  });
});

// ClickHouse's HTTP interface is the store's documented wire format; a loopback server speaking it lets the test
// script the failures a real server produces under load (which chDB cannot be made to produce on demand).
describe('ClickHouseTelemetryWriter against scripted ClickHouse HTTP failures', () => {
  let server: Server;
  let url: string;
  const script: { status: number; body: string }[] = [];
  const received: number[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const rows = body.split('\n').filter(Boolean).length;
        const next = script.shift() ?? { status: 200, body: '' };
        const oversized = rows > 2 ? { status: 500, body: 'Code: 241. DB::Exception: Memory limit (total) exceeded: would use 9.31 GiB. (MEMORY_LIMIT_EXCEEDED) (version 25.8.1.1)' } : undefined;
        const answer = next.status !== 200 ? next : (oversized ?? next);
        if (answer.status === 200) received.push(rows);
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.status === 200 ? {} : { 'x-clickhouse-exception-code': answer.body.match(/Code: (\d+)/)?.[1] ?? '0' }) });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('retries a transient error with growing backoff, then splits a batch the server finds too large', async () => {
    const client = createClient({ url, log: { LoggerClass: ClickHouseLogAdapter } });
    const sleeps: number[] = [];
    const writer = new ClickHouseTelemetryWriter(client, { dedupe: false, flushIntervalMs: 1, initialBackoffMs: 100, sleep: async (ms) => void sleeps.push(ms) });
    const busy = { status: 503, body: 'Code: 202. DB::Exception: Too many simultaneous queries. Maximum: 100. (TOO_MANY_SIMULTANEOUS_QUERIES) (version 25.8.1.1)' };
    script.push(busy, busy);
    const outcome = await writer.write([row('s-1'), row('s-2'), row('s-3'), row('s-4')]);
    assert.deepEqual(outcome, { written: 4, duplicates: 0, restated: 0 });
    assert.deepEqual(received, [2, 2], 'the 4-row batch landed as two halves, each once');
    assert.equal(sleeps.length, 2);
    assert.ok(sleeps[0] >= 50 && sleeps[0] <= 100 && sleeps[1] >= 100 && sleeps[1] <= 200, `backoff grows: ${sleeps.join(', ')}`);
    assert.equal(writer.stats().retries, 2);

    script.push(busy, busy, busy, busy, busy);
    await assert.rejects(writer.write([row('s-5')]), (error: Error) => error instanceof TelemetryWriteError && /TOO_MANY_SIMULTANEOUS_QUERIES|Too many/.test(error.message));
    assert.equal(sleeps.length, 2 + 4, 'gave up after maxAttempts (5) tries');
    await writer.close();
    await client.close();
  });
});
