import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiStarter } from '../../apps/api/src';
import { launch, RunningProcess } from '@tollgate/runtime';
import { NotFoundError } from '@tollgate/core';
import {
  ClickHouseTelemetryWriter,
  REQUEST_BY_ID_SQL,
  REQUEST_KEYS_BY_ID_SQL,
  RequestLookupService,
  parseRequestListQuery,
  requestListSchema,
  requestRecordSchema,
  telemetryEventSchema,
  toLlmRequestRow,
  type TelemetryEventInput,
} from '@tollgate/telemetry';
import { embeddedTarget, StoreTarget } from '../support/test-env';
import { telemetryEvent } from '../fixtures/telemetry/telemetry-events.fixture';
import { adminAuth } from '../support/api-auth';

const ATTEMPTS = [
  { provider: 'openai', model: 'gpt-4o-mini', provider_account: 'acct-1', status: 503, error_class: 'upstream_5xx', latency_ms: 30 },
  { provider: 'openai_compatible', model: 'gpt-4o-mini', provider_account: '', status: 200, error_class: '', latency_ms: 400 },
];

describe('GET /v1/requests and /v1/requests/:id (request lookup)', () => {
  let target: StoreTarget;
  let running: RunningProcess;
  let base: string;
  let service: RequestLookupService;

  const write = async (events: [Partial<TelemetryEventInput>, number][]) => {
    const writer = new ClickHouseTelemetryWriter(running.stores.clickhouse, { flushIntervalMs: 1 });
    const outcome = writer.write(events.map(([e, version]) => toLlmRequestRow(telemetryEventSchema.parse(telemetryEvent(e)), undefined, version)));
    await writer.close();
    return outcome;
  };
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers: adminAuth(headers) });
    return { status: res.status, headers: res.headers, body: (res.headers.get('content-type') ?? '').startsWith('application/json') ? ((await res.json()) as any) : await res.text() };
  };

  before(async () => {
    target = await embeddedTarget.create();
    running = await launch(target.env, [apiStarter]);
    base = `${running.urls.api}/v1/requests`;
    service = new RequestLookupService(running.stores.clickhouse);
    await write([
      [{ request_id: 'r-1', ts: '2026-11-20T10:00:00.000Z', team: 'core', feature: 'search', estimated_cost: '0.000300000000' }, 1],
      [{ request_id: 'r-2', ts: '2026-11-20T11:00:00.000Z', team: 'core', feature: 'chat', status: 429, error_class: 'rate_limited', estimated_cost: '0' }, 1],
      [
        {
          request_id: 'r-3', ts: '2026-11-20T12:00:00.000Z', team: 'growth', feature: 'summarize', customer: 'globex', streamed: true, attempt: 2, fallback_from: 'openai/gpt-4o-mini',
          attempts: ATTEMPTS, tags: { served_model: 'gpt-4o-mini-2024-07-18' }, provider_cost: '0.000250000000', cache_write_tokens: 100, cache_write_1h_tokens: 40,
        },
        1,
      ],
      [{ request_id: 'r-4', ts: '2026-11-21T09:00:00.000Z', team: 'growth', feature: 'search', customer: '=cmd' }, 1],
      [{ request_id: 'r-5', ts: '2026-11-21T09:00:00.000Z', team: 'core', feature: 'chat', model: 'gpt-4o' }, 1],
    ]);
    // A restatement: the price changed, the request did not.
    assert.deepEqual(await write([[{ request_id: 'r-1', ts: '2026-11-20T10:00:00.000Z', team: 'core', feature: 'search', estimated_cost: '0.000450000000' }, 2]]), { written: 0, duplicates: 0, restated: 1 });
  });
  after(async () => {
    await running?.stop();
    await target?.cleanup();
  });

  it('returns one request as stored: latest version, tokens by class, cost, price_ref, attempts and tags', async () => {
    const r1 = await get('/r-1');
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    assert.deepEqual(requestRecordSchema.parse(r1.body), r1.body, 'the documented schema describes the answer');
    assert.deepEqual([r1.body.estimated_cost, r1.body.version, r1.body.currency, r1.body.price_ref], ['0.000450000000', 2, 'USD', 'test:gpt-4o-mini']);
    assert.deepEqual(r1.body.attribution, { feature: 'search', customer: 'acme', team: 'core', env: 'prod', virtual_key: 'vk-search' });
    assert.equal(r1.body.ts, '2026-11-20T10:00:00.000Z');

    const r3 = (await get('/r-3')).body;
    assert.deepEqual(r3.attempts, ATTEMPTS);
    assert.deepEqual(r3.tags, { served_model: 'gpt-4o-mini-2024-07-18' });
    assert.deepEqual(r3.tokens, { input_tokens: 1000, cached_input_tokens: 200, cache_write_tokens: 100, cache_write_1h_tokens: 40, output_tokens: 300, reasoning_tokens: 0, audio_input_tokens: 0, audio_output_tokens: 0, image_tokens: 0 });
    assert.deepEqual([r3.provider_cost, r3.streamed, r3.attempt, r3.fallback_from, r3.ttft_ms, r3.latency_ms, r3.usage_source], ['0.000250000000', true, 2, 'openai/gpt-4o-mini', 120, 450, 'provider']);
    assert.equal((await get('/r-2')).body.provider_cost, null);
  });

  it('answers 404 naming an unknown id and 400 for a malformed id or wait', async () => {
    const missing = await get('/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.message, "request 'nope' not found");
    const long = await get(`/${'x'.repeat(129)}`);
    assert.equal(long.status, 400);
    assert.deepEqual(long.body.error.problems.map((p: any) => p.field), ['id']);
    const wait = await get('/r-1?wait_ms=soon');
    assert.equal(wait.status, 400);
    assert.deepEqual(wait.body.error.problems.map((p: any) => p.field), ['wait_ms']);
  });

  it('waits for a request that lands while it is asked for (wait_ms)', async () => {
    assert.equal((await get('/late-1')).status, 404, 'without wait_ms an id not stored yet is a 404 at once');
    const asked = get('/late-1?wait_ms=10000');
    // The lookup is pending while nothing is stored; the row lands, and the same request answers with it.
    await write([[{ request_id: 'late-1', ts: '2026-11-21T10:00:00.000Z', feature: 'batch', estimated_cost: '0.000123000000' }, 1]]);
    const answer = await asked;
    assert.equal(answer.status, 200);
    assert.equal(answer.body.estimated_cost, '0.000123000000');
  });

  it('honours a team limit: another team\'s request is not found, and lists show only the caller\'s teams', async () => {
    assert.equal((await service.get('r-3', { teams: ['growth'] })).request_id, 'r-3');
    await assert.rejects(service.get('r-1', { teams: ['growth'] }), (e: unknown) => e instanceof NotFoundError && e.message === "request 'r-1' not found");
    await assert.rejects(service.get('r-1', { teams: [] }), NotFoundError);
    const query = parseRequestListQuery({ from: '2026-11-20', to: '2026-11-22' });
    assert.deepEqual((await service.list(query, ['growth'])).rows.map((r) => r.request_id), ['r-4', 'r-3']);
    assert.deepEqual((await service.list(query, null)).rows.length, 6);
  });

  it('lists newest first with filters and keyset pages that together hold every request once', async () => {
    const all = await get('?from=2026-11-20&to=2026-11-22');
    assert.equal(all.status, 200);
    requestListSchema.parse(all.body);
    assert.deepEqual(all.body.rows.map((r: any) => r.request_id), ['late-1', 'r-5', 'r-4', 'r-3', 'r-2', 'r-1']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`?from=2026-11-20&to=2026-11-22&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.rows.length <= 2);
      seen.push(...page.body.rows.map((r: any) => r.request_id));
      cursor = page.body.next_cursor;
      assert.equal(page.headers.get('x-tollgate-next-cursor'), cursor);
    } while (cursor);
    assert.deepEqual(seen, ['late-1', 'r-5', 'r-4', 'r-3', 'r-2', 'r-1'], 'r-4 and r-5 share a ts: the cursor splits them by request_id');

    const ids = (qs: string) => get(`?from=2026-11-20&to=2026-11-22&${qs}`).then((r) => (r.status === 200 ? r.body.rows.map((x: any) => x.request_id) : r));
    assert.deepEqual(await ids('feature=search'), ['r-4', 'r-1']);
    assert.deepEqual(await ids('team=growth&team=nobody'), ['r-4', 'r-3']);
    assert.deepEqual(await ids('model=gpt-4o'), ['r-5']);
    assert.deepEqual(await ids('customer=globex,=cmd'), ['r-4', 'r-3']);
    assert.deepEqual(await ids('status=error'), ['r-2']);
    assert.deepEqual(await ids('status=200&provider=openai'), ['late-1', 'r-5', 'r-4', 'r-3', 'r-1']);
    assert.deepEqual(await ids('request_id=r-3,r-1,unknown'), ['r-3', 'r-1']);
    const restated = await get('?from=2026-11-20&to=2026-11-22&request_id=r-1');
    assert.equal(restated.body.rows[0].estimated_cost, '0.000450000000', 'the list reads the latest version too');
  });

  it('defaults the window to the last 24 hours and refuses bad parameters, naming each', async () => {
    const recent = await get('');
    assert.equal(recent.status, 200);
    assert.equal(new Date(recent.body.to).getTime() - new Date(recent.body.from).getTime(), 24 * 3_600_000);
    const bad = await get('?from=yesterday&limit=0&status=oops&cursor=zz&teem=core');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.problems.map((p: any) => p.field).sort(), ['cursor', 'from', 'limit', 'status', 'teem']);
    const wide = await get('?from=2026-01-01&to=2026-03-01');
    assert.deepEqual(wide.body.error.problems, [{ field: 'to', reason: 'the window may span at most 31 days' }]);
  });

  it('gives CSV with Accept: text/csv, formula-looking text neutralised', async () => {
    const res = await get('?from=2026-11-21&to=2026-11-22&feature=search', { accept: 'text/csv' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    const [header, line, ...rest] = (res.body as string).trim().split('\r\n');
    assert.deepEqual(rest, []);
    assert.ok(header.startsWith('request_id,ts,feature,customer,team,'), header);
    assert.ok(line.startsWith("r-4,2026-11-21T09:00:00.000Z,search,'=cmd,growth,"), line);
  });

  it('finds a request by id without scanning the table: the projection gives its key, the key a granule or two', async () => {
    // A busy day: 200,000 requests over many feature × customer × model groups, as a deployment's table holds them.
    await running.stores.clickhouse.command({
      query: `INSERT INTO llm_requests (ts, request_id, feature, customer, model, provider, status, latency_ms, estimated_cost, currency, version)
              SELECT toDateTime64('2026-07-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(intDiv(number * 86400000, 200000)),
                     concat('bulk-', toString(number)), concat('feature-', toString(number % 8)), concat('customer-', toString(number % 500)),
                     concat('model-', toString(number % 5)), 'openai', 200, 100, toDecimal128('0.0001', 12), 'USD', 1
              FROM numbers(200000)`,
    });
    const explain = async (sql: string) =>
      (await running.stores.clickhouse.query({ query: `EXPLAIN indexes = 1, projections = 1 ${sql}`, query_params: { ids: ['bulk-123456'] }, format: 'TabSeparatedRaw' })).text();
    const keys = await explain(REQUEST_KEYS_BY_ID_SQL);
    assert.match(keys, /ReadFromMergeTree \(by_request_id\)/, keys);
    const lookup = await explain(REQUEST_BY_ID_SQL);
    const granules = /PrimaryKey[\s\S]*?Granules: (\d+)\/(\d+)/.exec(lookup);
    assert.ok(granules, lookup);
    const [read, total] = [Number(granules[1]), Number(granules[2])];
    assert.ok(total >= 20 && read <= 2, `read ${read} of ${total} granules:\n${lookup}`);
    assert.equal((await get('/bulk-123456')).body.attribution.customer, 'customer-456');
  });
});
