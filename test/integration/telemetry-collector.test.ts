import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { apiStarter } from '../../apps/api/src';
import { loadConfig, storeModes } from '@tollgate/core';
import { launch, RunningProcess } from '@tollgate/runtime';
import { AuditLogService } from '@tollgate/audit';
import { ApiTokenRepository, ApiTokenService, COLLECTOR_TOKEN_FILE } from '@tollgate/auth';
import { ClickHouseTelemetryWriter, LlmRequestRow, parseUsageQuery, telemetryEventSchema, toLlmRequestRow, UsageQueryService } from '@tollgate/telemetry';
import { StoreTarget, storeTargets } from '../support/test-env';
import { telemetryEvent } from '../fixtures/telemetry/telemetry-events.fixture';

for (const factory of storeTargets) {
  describe(`telemetry collector on ${factory.name} stores`, () => {
    let target: StoreTarget;
    let running: RunningProcess;
    let url: string;
    let token: string;

    before(async () => {
      target = await factory.create();
      running = await launch(target.env, [apiStarter]);
      url = `${running.urls.api}/v1/telemetry`;
      const config = loadConfig(target.env);
      if (storeModes(config).postgres === 'embedded') {
        // Embedded mode generated a token at boot and wrote it where the log says.
        token = readFileSync(join(config.TOLLGATE_DATA_DIR, COLLECTOR_TOKEN_FILE), 'utf8').trim();
      } else {
        const { dataSource } = running.stores;
        token = await new ApiTokenService(new ApiTokenRepository(dataSource), new AuditLogService(dataSource), config).createCollectorToken('test');
      }
    });
    after(async () => {
      await running?.stop();
      await target?.cleanup();
    });

    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body });
    const query = async <T>(sql: string, params: Record<string, unknown> = {}) =>
      (await running.stores.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json<T>();

    it('refuses requests without a valid collector token', async () => {
      const none = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      assert.equal(none.status, 401);
      assert.match(((await none.json()) as { error: { message: string } }).error.message, /Bearer/);
      const wrong = await post('[]', { authorization: 'Bearer not-the-token-at-all' });
      assert.equal(wrong.status, 401);
    });

    it('lands the good rows of a batch, returns index/field/reason for the bad one, prices on arrival', async () => {
      const events = [
        telemetryEvent({ request_id: 'c-1', estimated_cost: '0.000300000000', provider_cost: '0.000290000000' }),
        // No cost: priced from the bundled catalog. gpt-4o-mini: $0.15/M input, $0.075/M cached input, $0.60/M output:
        // 800 × 0.15e-6 + 200 × 0.075e-6 + 300 × 0.6e-6 = 0.000315.
        telemetryEvent({ request_id: 'c-2', estimated_cost: undefined, price_ref: undefined }),
        telemetryEvent({ request_id: 'c-3', input_tokens: -5 }),
        telemetryEvent({ request_id: 'c-4', model: 'in-house-llm-v0', estimated_cost: undefined, price_ref: undefined }),
        // An Azure deployment name is no model: priced by the model Azure reported serving, as the proxy does.
        telemetryEvent({ request_id: 'c-5', provider: 'azure_openai', model: 'my-mini-deploy', tags: { served_model: 'gpt-4o-mini' }, estimated_cost: undefined, price_ref: undefined }),
      ];
      const res = await post(JSON.stringify(events));
      const body = (await res.json()) as { accepted: number; rejected: number; errors: { index: number; field: string; reason: string }[]; warnings: { index: number; field: string }[] };
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.accepted, 4);
      assert.equal(body.rejected, 1);
      assert.deepEqual(body.errors.map((e) => [e.index, e.field]), [[2, 'input_tokens']]);
      assert.deepEqual(body.warnings.map((w) => [w.index, w.field]), [[3, 'model']]);
      const rows = await query<{ request_id: string; estimated_cost: string; provider_cost: string | null; price_ref: string }>(
        `SELECT request_id, toString(estimated_cost) AS estimated_cost, toString(provider_cost) AS provider_cost, price_ref FROM llm_requests FINAL WHERE request_id LIKE 'c-%' ORDER BY request_id`,
      );
      assert.deepEqual(rows.map((r) => [r.request_id, r.estimated_cost, r.provider_cost]), [
        ['c-1', '0.0003', '0.00029'],
        ['c-2', '0.000315', null],
        ['c-4', '0', null],
        ['c-5', '0.000315', null],
      ]);
      assert.match(rows[1].price_ref, /^genai-prices@/);
      assert.equal(rows[2].price_ref, 'unpriced');
    });

    it('is idempotent on request_id: a re-sent batch is accepted as duplicates and counted once', async () => {
      const events = [telemetryEvent({ request_id: 'd-1' }), telemetryEvent({ request_id: 'd-2' }), telemetryEvent({ request_id: 'd-1' })];
      const first = (await (await post(JSON.stringify(events))).json()) as { accepted: number; duplicates: number };
      assert.deepEqual([first.accepted, first.duplicates], [3, 1]);
      const again = (await (await post(JSON.stringify(events))).json()) as { accepted: number; duplicates: number };
      assert.deepEqual([again.accepted, again.duplicates], [3, 3]);
      const [raw] = await query<{ n: string; physical: string }>(
        `SELECT (SELECT count() FROM llm_requests FINAL WHERE request_id LIKE 'd-%') AS n, (SELECT count() FROM llm_requests WHERE request_id LIKE 'd-%') AS physical`,
      );
      assert.deepEqual(raw, { n: '2', physical: '2' });
    });

    it('accepts gzip-compressed NDJSON; a line that is not JSON gets its own error', async () => {
      // n-2 carries multi-byte UTF-8 (the body is not all ASCII, so it takes the UTF-8 decoder).
      const lines = [JSON.stringify(telemetryEvent({ request_id: 'n-1' })), '{not json', '', JSON.stringify(telemetryEvent({ request_id: 'n-2', customer: 'Bäckerei Zürich ☕' }))].join('\n');
      const res = await post(gzipSync(lines), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
      const body = (await res.json()) as { accepted: number; rejected: number; errors: { index: number; line: number; field: string }[] };
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.deepEqual([body.accepted, body.rejected], [2, 1]);
      assert.equal(body.errors[0].index, 1);
      assert.equal(body.errors[0].line, 2);
      const rows = await query<{ request_id: string; customer: string }>(`SELECT request_id, customer FROM llm_requests FINAL WHERE request_id IN ('n-1', 'n-2') ORDER BY request_id`);
      assert.deepEqual(rows.map((r) => r.request_id), ['n-1', 'n-2']);
      assert.equal(rows[1].customer, 'Bäckerei Zürich ☕');
      // An all-ASCII body (the Latin-1 fast path) reads the same.
      const ascii = await post(`${JSON.stringify(telemetryEvent({ request_id: 'n-3', customer: 'plain ascii' }))}\n`, { 'content-type': 'application/x-ndjson' });
      assert.equal(((await ascii.json()) as { accepted: number }).accepted, 1);
      const [n3] = await query<{ customer: string }>(`SELECT customer FROM llm_requests FINAL WHERE request_id = 'n-3'`);
      assert.equal(n3.customer, 'plain ascii');
    });

    it('answers 400 when no event is valid, 413 over the size limit, 415 for other content types', async () => {
      const none = await post(JSON.stringify([{ request_id: 'x' }]));
      assert.equal(none.status, 400);
      assert.equal(((await none.json()) as { accepted: number }).accepted, 0);
      const notArray = await post(JSON.stringify({ request_id: 'x' }));
      assert.equal(notArray.status, 400);
      const huge = await post(gzipSync(Buffer.alloc(11 * 1024 * 1024, 'a')), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
      assert.equal(huge.status, 413);
      assert.match(((await huge.json()) as { error: { message: string } }).error.message, /exceeds/);
      const xml = await post('<events/>', { 'content-type': 'application/xml' });
      assert.equal(xml.status, 415);
    });

    it('keeps the rollups equal to the raw rows to the cent under duplicates and restated versions', async () => {
      // 300 requests over 3 hours and several groups, each sent twice (in one batch and again later).
      const events = Array.from({ length: 300 }, (_, i) =>
        telemetryEvent({
          request_id: `r-${i}`,
          ts: new Date(Date.UTC(2026, 9, 5, 10 + (i % 3), i % 60, 7)).toISOString(),
          feature: ['search', 'chat', 'summarize'][i % 3],
          customer: ['acme', 'globex', 'initech', 'umbrella'][i % 4],
          model: i % 5 === 0 ? 'claude-sonnet-4' : 'gpt-4o-mini',
          provider: i % 5 === 0 ? 'anthropic' : 'openai',
          status: i % 17 === 0 ? 500 : 200,
          latency_ms: 100 + ((i * 37) % 900),
          input_tokens: 1000 + i,
          output_tokens: 10 + i,
          estimated_cost: `0.${String(100000 + i * 7919).padStart(12, '0')}`,
        }),
      );
      const half = events.slice(0, 150);
      assert.equal((await post(JSON.stringify([...half, ...half.slice(0, 20)]))).status, 200);
      assert.equal((await post(JSON.stringify(events))).status, 200);
      assert.equal((await post(JSON.stringify(events.slice(100, 200)))).status, 200);

      // Restatement through the writer (a higher version of the same request)...
      const writer = new ClickHouseTelemetryWriter(running.stores.clickhouse, { flushIntervalMs: 1 });
      const restated: LlmRequestRow[] = events.slice(0, 40).map((e) => toLlmRequestRow(telemetryEventSchema.parse({ ...e, estimated_cost: '0.123456789012' }), undefined, 2));
      assert.deepEqual(await writer.write(restated), { written: 0, duplicates: 0, restated: 40 });
      assert.deepEqual(await writer.write(restated), { written: 0, duplicates: 40, restated: 0 });
      await writer.close();
      // ...and by SQL, the way a restatement job re-prices stored rows (higher version, prev_* = superseded money).
      await running.stores.clickhouse.command({
        query: `INSERT INTO llm_requests
                SELECT * REPLACE (estimated_cost * 2 AS estimated_cost, version + 1 AS version, version AS prev_version,
                                  estimated_cost AS prev_estimated_cost, ifNull(provider_cost, toDecimal128(0, 12)) AS prev_provider_cost)
                FROM llm_requests FINAL WHERE request_id IN ('r-30', 'r-31', 'r-32', 'r-250', 'r-251')`,
      });

      const service = new UsageQueryService(running.stores.clickhouse);
      for (const params of [
        { from: '2026-10-05T00:00:00Z', to: '2026-10-06T00:00:00Z', grain: 'hour', group_by: 'feature,customer,model,provider,env' },
        { from: '2026-10-05T00:00:00Z', to: '2026-10-06T00:00:00Z', grain: 'day', group_by: 'customer' },
        { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', grain: 'month', group_by: 'model', feature: 'chat,search' },
        { from: '2026-10-05T00:00:00Z', to: '2026-10-05T12:00:00Z', grain: 'day', group_by: 'env,provider' },
      ]) {
        const q = parseUsageQuery(params);
        const fromRollup = await service.query(q);
        const fromRaw = await service.query(q, { forceRaw: true });
        assert.equal(fromRollup.source, 'rollup');
        assert.equal(fromRaw.source, 'raw');
        assert.ok(fromRaw.rows.length > 0);
        assert.deepEqual(fromRollup.rows, fromRaw.rows, `rollup ${fromRollup.table} differs from raw for ${JSON.stringify(params)}`);
      }
      const [totals] = await query<{ requests: string; cost: string; rollup_requests: string; rollup_cost: string; daily_cost: string; daily_all_cost: string }>(
        `SELECT
           (SELECT count() FROM llm_requests FINAL WHERE request_id LIKE 'r-%') AS requests,
           (SELECT toString(sum(estimated_cost)) FROM llm_requests FINAL WHERE request_id LIKE 'r-%') AS cost,
           (SELECT toString(sum(requests)) FROM llm_usage_hourly WHERE hour >= '2026-10-05 00:00:00' AND hour < '2026-10-06 00:00:00') AS rollup_requests,
           (SELECT toString(sum(estimated_cost)) FROM llm_usage_hourly WHERE hour >= '2026-10-05 00:00:00' AND hour < '2026-10-06 00:00:00') AS rollup_cost,
           (SELECT toString(sum(estimated_cost)) FROM llm_usage_daily_customer WHERE day = '2026-10-05') AS daily_cost,
           (SELECT toString(sum(estimated_cost)) FROM llm_usage_daily WHERE day = '2026-10-05') AS daily_all_cost`,
      );
      assert.equal(totals.requests, '300');
      assert.equal(totals.rollup_requests, '300');
      assert.equal(totals.rollup_cost, totals.cost);
      assert.equal(totals.daily_cost, totals.cost);
      assert.equal(totals.daily_all_cost, totals.cost);
    });
  });
}
