import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, Worker } from 'bullmq';
import { apiStarter } from '../../apps/api/src';
import { PriceRestatementProcessor, type RestatementJobResult } from '../../apps/worker/src/pricing/price-restatement.processor';
import { AuditLogService } from '@tollgate/audit';
import { PriceOverrideRepository, PriceRestatementOutbox, PricingService } from '@tollgate/pricing';
import { QueueName } from '@tollgate/storage';
import { LlmRequestRestatementService } from '@tollgate/telemetry';
import { launch, RunningProcess } from '@tollgate/runtime';
import { StoreTarget, storeTargets } from '../support/test-env';
import { adminAuth } from '../support/api-auth';

// Overrides through the real API on the real stores (PostgreSQL + ClickHouse + queue); restatement jobs run by the
// real processor (the worker's, applying them through telemetry's LlmRequestRestatementService) on a BullMQ worker
// this test holds, so the test awaits the worker's own `completed` event (QueueEvents on the embedded queue backend
// can stall when several workers start at once). Costs are computed by hand in the comments.

interface RowState {
  estimated_cost: string;
  price_ref: string;
  version: string;
  provider_cost: string | null;
}

const requests = [
  // acme-llm-70b is in no catalog: stored unpriced, restated once a custom price covers it.
  { request_id: 'acme-1', ts: '2026-02-01 10:00:00.000', provider: 'openai_compatible', model: 'acme-llm-70b', provider_account: '', input_tokens: 1_000_000, output_tokens: 500_000, estimated_cost: '0', price_ref: 'unpriced' },
  { request_id: 'acme-2', ts: '2026-03-01 10:00:00.000', provider: 'openai_compatible', model: 'acme-llm-70b', provider_account: 'team-x', input_tokens: 2_000, output_tokens: 1_000, estimated_cost: '0', price_ref: 'unpriced', provider_cost: '0.5' },
  // Before the override's effective_from: must stay as it is.
  { request_id: 'acme-old', ts: '2025-12-31 23:59:59.999', provider: 'openai_compatible', model: 'acme-llm-70b', provider_account: '', input_tokens: 1_000, output_tokens: 1_000, estimated_cost: '0', price_ref: 'unpriced' },
  // Another provider: untouched by everything below.
  { request_id: 'gpt-1', ts: '2026-02-01 10:00:00.000', provider: 'openai', model: 'gpt-4o', provider_account: '', input_tokens: 10_000, output_tokens: 1_000, estimated_cost: '0.035', price_ref: 'genai-prices@0.1.8:openai/gpt-4o' },
  // Claude Sonnet 4.5 at $3 / $15: 100,000 × 3 / 1e6 + 10,000 × 15 / 1e6 = 0.3 + 0.15 = 0.45
  { request_id: 'claude-eu', ts: '2026-02-10 08:00:00.000', provider: 'anthropic', model: 'claude-sonnet-4-5', provider_account: 'acct-eu', input_tokens: 100_000, output_tokens: 10_000, estimated_cost: '0.45', price_ref: 'genai-prices@0.1.8:anthropic/claude-sonnet-4-5' },
  { request_id: 'claude-us', ts: '2026-02-10 08:00:00.000', provider: 'anthropic', model: 'claude-sonnet-4-5', provider_account: 'acct-us', input_tokens: 100_000, output_tokens: 10_000, estimated_cost: '0.45', price_ref: 'genai-prices@0.1.8:anthropic/claude-sonnet-4-5' },
  // An Azure deployment: its name is no model; the proxy priced it by the model Azure reported serving (tagged).
  { request_id: 'azure-1', ts: '2026-02-01 10:00:00.000', provider: 'azure_openai', model: 'my-4o-deploy', provider_account: '', input_tokens: 1_000_000, output_tokens: 100_000, estimated_cost: '3.5', price_ref: 'catalog-at-request-time', tags: { served_model: 'gpt-4o-2024-08-06' } },
];

for (const factory of storeTargets) {
  describe(`price overrides and restatement on ${factory.name} stores`, () => {
    let target: StoreTarget;
    let running: RunningProcess;
    let api: string;
    let aliceToken: string;
    let worker: Worker;
    const outcomes = new Map<string, { promise: Promise<RestatementJobResult>; resolve(r: RestatementJobResult): void; reject(e: Error): void }>();
    const outcome = (jobId: string) => {
      let entry = outcomes.get(jobId);
      if (!entry) {
        let resolve!: (r: RestatementJobResult) => void;
        let reject!: (e: Error) => void;
        const promise = new Promise<RestatementJobResult>((res, rej) => ((resolve = res), (reject = rej)));
        entry = { promise, resolve, reject };
        outcomes.set(jobId, entry);
      }
      return entry;
    };

    before(async () => {
      target = await factory.create();
      running = await launch(target.env, [apiStarter]);
      api = running.urls.api;
      // Alice changes prices with a write token of her own; the audit log names the token, whatever headers say.
      const issued = await fetch(`${api}/v1/api-tokens`, { method: 'POST', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify({ name: 'alice@finance', scope: 'write' }) });
      aliceToken = ((await issued.json()) as { token: string }).token;
      const repository = new PriceOverrideRepository(running.stores.dataSource);
      const processor = new PriceRestatementProcessor(
        running.stores.queues,
        new LlmRequestRestatementService(running.stores.clickhouse, new PricingService(repository), 2),
        new PriceRestatementOutbox(running.stores.dataSource, running.stores.queues),
        new AuditLogService(running.stores.dataSource),
      );
      worker = running.stores.queues.worker(QueueName.Pricing, (job: Job) => processor.process(job), { concurrency: 1 });
      worker.on('completed', (job: Job, result: RestatementJobResult) => outcome(String(job.id)).resolve(result));
      worker.on('failed', (job: Job | undefined, error: Error) => job && job.attemptsMade >= (job.opts.attempts ?? 1) && outcome(String(job.id)).reject(error));
      await running.stores.clickhouse.insert({
        table: 'llm_requests',
        format: 'JSONEachRow',
        values: requests.map((r) => ({ feature: 'chat', customer: 'c1', status: 200, usage_source: 'provider', latency_ms: 100, currency: 'USD', version: 1, ...r })),
      });
    });
    after(async () => {
      await worker?.close();
      await running?.stop();
      await target?.cleanup();
    });

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceToken}`, 'x-tollgate-actor': 'cfo@example.com' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const rows = async (): Promise<Record<string, RowState>> => {
      const result = await running.stores.clickhouse.query({
        query: 'SELECT request_id, estimated_cost, price_ref, version, provider_cost FROM llm_requests FINAL ORDER BY request_id',
        format: 'JSONEachRow',
      });
      const list = await result.json<RowState & { request_id: string }>();
      return Object.fromEntries(list.map(({ request_id, ...rest }) => [request_id, rest]));
    };
    const finished = async (jobId: string) => {
      const result = await outcome(jobId).promise;
      const record = await running.stores.dataSource.query(`SELECT status, result FROM tollgate.price_restatements WHERE job_id = $1`, [jobId]);
      assert.equal(record[0].status, 'completed');
      assert.equal(record[0].result.rows_changed, result.rows_changed);
      return result;
    };
    const overrideCount = async () => Number((await running.stores.dataSource.query(`SELECT count(*)::int AS n FROM tollgate.price_overrides`))[0].n);

    let customId: string;
    let discountId: string;

    it('creates a custom price for a past period and restates exactly the requests it covers', async () => {
      const created = await call('POST', '/v1/prices/overrides', {
        provider: 'openai_compatible',
        model: 'acme-llm-70b',
        kind: 'custom_price',
        prices: { input: '0.59', output: '0.79' },
        effective_from: '2026-01-01T00:00:00Z',
        note: 'contract #42',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      customId = created.body.override.id;
      assert.equal(created.body.override.revision, 1);
      assert.deepEqual(created.body.restatement, { job_id: `restate-${customId}-r1`, queued: true });

      const result = await finished(created.body.restatement.job_id);
      assert.deepEqual({ ...result }, { ...result, rows_scanned: 2, rows_changed: 2, rows_unpriced: 0, rows_invalid: 0, rows_currency_changed: 0 });
      const after = await rows();
      // acme-1: 1,000,000 × 0.59 / 1e6 + 500,000 × 0.79 / 1e6 = 0.59 + 0.395 = 0.985
      assert.deepEqual(after['acme-1'], { estimated_cost: '0.985', price_ref: `override:${customId}@1`, version: '2', provider_cost: null });
      // acme-2 (any account): 2,000 × 0.59 / 1e6 + 1,000 × 0.79 / 1e6 = 0.00118 + 0.00079 = 0.00197; provider cost untouched.
      assert.deepEqual(after['acme-2'], { estimated_cost: '0.00197', price_ref: `override:${customId}@1`, version: '2', provider_cost: '0.5' });
      assert.deepEqual(after['acme-old'], { estimated_cost: '0', price_ref: 'unpriced', version: '1', provider_cost: null });
      assert.equal(after['gpt-1'].version, '1');
      assert.equal(after['claude-eu'].version, '1');
      const status = await call('GET', `/v1/prices/restatements/${created.body.restatement.job_id}`);
      assert.equal(status.body.restatement.status, 'completed');
      assert.equal(status.body.restatement.result.rows_changed, 2);

      const quote = await call('GET', `/v1/prices/quote?provider=openai_compatible&model=acme-llm-70b&at=2026-02-01T00:00:00Z&input_tokens=1000000&output_tokens=500000`);
      assert.equal(quote.status, 200);
      assert.equal(quote.body.cost, '0.985');
      assert.equal(quote.body.source, 'override');
    });

    it('rejects bad input with the field at fault and writes nothing', async () => {
      const count = await overrideCount();
      const cases: Array<[unknown, string]> = [
        [{ provider: 'openai', kind: 'custom_price', prices: { input: '1', output: '2' }, effective_from: '2026-01-01T00:00:00Z' }, 'model'],
        [{ provider: 'openai', model: 'm', kind: 'custom_price', prices: { input: 'cheap', output: '2' }, effective_from: '2026-01-01T00:00:00Z' }, 'prices.input'],
        [{ provider: 'openai', model: 'm', kind: 'custom_price', prices: { input: '1', output: '2', cachd_input: '0.1' }, effective_from: '2026-01-01T00:00:00Z' }, 'prices.cachd_input'],
        [{ provider: 'openai', kind: 'discount', discount_percent: '120', effective_from: '2026-01-01T00:00:00Z' }, 'discount_percent'],
        [{ provider: 'openai', kind: 'discount', discount_percent: '10', effective_from: '2026-02-01T00:00:00Z', effective_to: '2026-01-01T00:00:00Z' }, 'effective_to'],
        [{ provider: 'openai', kind: 'discount', discount_percent: '10', effective_from: '1 Jan 2026' }, 'effective_from'],
        [{ provider: 'openai', kind: 'discount', discount_percent: '10', effective_from: '2026-01-01T00:00:00Z', efective_to: null }, 'efective_to'],
        [{ provider: 'openai', kind: 'tier', tier: 'batch', effective_from: '2026-01-01T00:00:00Z' }, 'prices'],
        [{ provider: 'self', model: 'llama', kind: 'gpu_hour', prices: { gpu_hourly_cost: '2', gpu_count: 0, input_tokens_per_second: 1, output_tokens_per_second: 1 }, effective_from: '2026-01-01T00:00:00Z' }, 'prices.gpu_count'],
      ];
      for (const [body, field] of cases) {
        const res = await call('POST', '/v1/prices/overrides', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        const fields = (res.body.error.problems as Array<{ field: string }>).map((p) => p.field);
        assert.ok(fields.includes(field), `${field} not in ${JSON.stringify(res.body)}`);
      }
      // An overlapping range for the same (provider, model, account, kind) is a conflict.
      const overlap = await call('POST', '/v1/prices/overrides', {
        provider: 'openai_compatible', model: 'acme-llm-70b', kind: 'custom_price', prices: { input: '1', output: '1' }, effective_from: '2026-06-01T00:00:00Z',
      });
      assert.equal(overlap.status, 409);
      assert.match(overlap.body.error.message, new RegExp(customId));
      assert.equal((await call('GET', '/v1/prices/overrides/not-a-uuid')).status, 400);
      assert.equal((await call('GET', '/v1/prices/overrides/00000000-0000-4000-8000-000000000000')).status, 404);
      assert.equal(await overrideCount(), count);
    });

    it('corrects a price (new revision) and restates the period again', async () => {
      const corrected = await call('PATCH', `/v1/prices/overrides/${customId}`, { prices: { input: '0.49', output: '0.79' } });
      assert.equal(corrected.status, 200, JSON.stringify(corrected.body));
      assert.equal(corrected.body.override.revision, 2);
      const result = await finished(`restate-${customId}-r2`);
      assert.equal(result.rows_changed, 2);
      const after = await rows();
      // 1,000,000 × 0.49 / 1e6 + 500,000 × 0.79 / 1e6 = 0.49 + 0.395 = 0.885
      assert.deepEqual(after['acme-1'], { estimated_cost: '0.885', price_ref: `override:${customId}@2`, version: '3', provider_cost: null });
      assert.equal(after['acme-old'].version, '1');
      const bad = await call('PATCH', `/v1/prices/overrides/${customId}`, { discount_percent: '5' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.problems[0].field, 'discount_percent');
    });

    it('a discount for one account restates only that account; deleting it restores the catalog price', async () => {
      const created = await call('POST', '/v1/prices/overrides', {
        provider: 'anthropic', provider_account: 'acct-eu', kind: 'discount', discount_percent: '10', effective_from: '2026-01-01T00:00:00Z',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      discountId = created.body.override.id;
      const result = await finished(created.body.restatement.job_id);
      assert.deepEqual([result.rows_scanned, result.rows_changed], [1, 1]);
      let after = await rows();
      // 0.45 × (1 − 10%) = 0.405
      assert.equal(after['claude-eu'].estimated_cost, '0.405');
      assert.equal(after['claude-eu'].price_ref, `genai-prices@0.1.8:anthropic/claude-sonnet-4-5+discount=override:${discountId}@1`);
      assert.deepEqual(after['claude-us'], { estimated_cost: '0.45', price_ref: 'genai-prices@0.1.8:anthropic/claude-sonnet-4-5', version: '1', provider_cost: null });

      const quote = await call('GET', '/v1/prices/quote?provider=anthropic&model=claude-sonnet-4-5&provider_account=acct-eu&at=2026-03-01T00:00:00Z&input_tokens=100000&output_tokens=10000');
      assert.equal(quote.body.cost, '0.405');

      const deleted = await call('DELETE', `/v1/prices/overrides/${discountId}`);
      assert.equal(deleted.status, 200);
      const undone = await finished(`restate-${discountId}-deleted`);
      assert.equal(undone.rows_changed, 1);
      after = await rows();
      assert.equal(after['claude-eu'].estimated_cost, '0.45');
      assert.equal(after['claude-eu'].price_ref, 'genai-prices@0.1.8:anthropic/claude-sonnet-4-5');
      assert.equal(after['claude-eu'].version, '3');
      assert.equal((await call('GET', `/v1/prices/overrides/${discountId}`)).status, 404);
    });

    it('quotes from the catalog, and answers 404 / 400 for unknown models and bad parameters', async () => {
      // gpt-4o: 8,249 × 2.50 / 1e6 + 4,096 × 1.25 / 1e6 + 678 × 10 / 1e6 = 0.0325225
      const ok = await call('GET', '/v1/prices/quote?provider=openai&model=gpt-4o&at=2026-02-01T00:00:00Z&input_tokens=12345&cached_input_tokens=4096&output_tokens=678');
      assert.equal(ok.status, 200);
      assert.equal(ok.body.cost, '0.0325225');
      assert.equal(ok.body.breakdown.cached_input.tokens, 4096);
      assert.equal((await call('GET', '/v1/prices/quote?provider=openai&model=gpt-nope&input_tokens=1')).status, 404);
      const bad = await call('GET', '/v1/prices/quote?provider=openai&model=gpt-4o&input_tokens=-5');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.problems[0].field, 'input_tokens');
      const inconsistent = await call('GET', '/v1/prices/quote?provider=openai&model=gpt-4o&input_tokens=5&cached_input_tokens=9');
      assert.equal(inconsistent.status, 400);
      assert.equal(inconsistent.body.error.problems[0].field, 'input_tokens');
      // The 5-minute share of the cache writes may still be named: with the 1-hour ones it makes up cache_write_tokens.
      const claude = '/v1/prices/quote?provider=anthropic&model=claude-sonnet-4-5&at=2026-02-01T00:00:00Z&input_tokens=10000&output_tokens=10&cache_write_1h_tokens=1000';
      const whole = await call('GET', `${claude}&cache_write_tokens=5000`);
      const split = await call('GET', `${claude}&cache_write_5m_tokens=4000`);
      assert.equal(split.status, 200, JSON.stringify(split.body));
      assert.deepEqual([split.body.cost, split.body.breakdown], [whole.body.cost, whole.body.breakdown]);
      const overSplit = await call('GET', `${claude}&cache_write_tokens=4000&cache_write_5m_tokens=4000`);
      assert.equal(overSplit.status, 400);
      assert.equal(overSplit.body.error.problems[0].field, 'cache_write_tokens');
    });

    it('lists overrides and audit-logs every change with who made it and the restated counts', async () => {
      const list = await call('GET', '/v1/prices/overrides?provider=openai_compatible');
      assert.deepEqual(list.body.overrides.map((o: { id: string; revision: number }) => [o.id, o.revision]), [[customId, 2]]);
      const trail = await running.stores.dataSource.query(
        `SELECT actor, action, details FROM tollgate.audit_log WHERE entity_id = $1 ORDER BY id`,
        [customId],
      );
      assert.deepEqual(
        trail.map((t: { actor: string; action: string }) => [t.actor, t.action]),
        [
          ['token:alice@finance', 'price_override.created'],
          ['token:alice@finance', 'price_restatement.completed'],
          ['token:alice@finance', 'price_override.corrected'],
          ['token:alice@finance', 'price_restatement.completed'],
        ],
      );
      assert.equal(trail[2].details.before.prices.input, '0.59');
      assert.equal(trail[2].details.after.prices.input, '0.49');
      assert.equal(trail[3].details.rows_changed, 2);
      const discountTrail = await running.stores.dataSource.query(`SELECT action FROM tollgate.audit_log WHERE entity_id = $1 ORDER BY id`, [discountId]);
      assert.deepEqual(discountTrail.map((t: { action: string }) => t.action), [
        'price_override.created', 'price_restatement.completed', 'price_override.deleted', 'price_restatement.completed',
      ]);
    });

    it('deleting the only price of a model the catalog lacks restates its requests as unpriced (cost 0), not stale', async () => {
      const deleted = await call('DELETE', `/v1/prices/overrides/${customId}`);
      assert.equal(deleted.status, 200);
      const result = await finished(deleted.body.restatement.job_id);
      assert.deepEqual([result.rows_scanned, result.rows_changed, result.rows_unpriced], [2, 2, 2]);
      const after = await rows();
      assert.deepEqual(after['acme-1'], { estimated_cost: '0', price_ref: 'unpriced', version: '4', provider_cost: null });
      assert.deepEqual(after['acme-2'], { estimated_cost: '0', price_ref: 'unpriced', version: '4', provider_cost: '0.5' });
      assert.equal(after['gpt-1'].version, '1');
    });

    it('restates a deployment by the model it served: an override on that model selects and prices it, never unpriced', async () => {
      const quote = await call('GET', '/v1/prices/quote?provider=azure_openai&model=gpt-4o-2024-08-06&at=2026-02-01T00:00:00Z&input_tokens=1000000&output_tokens=100000');
      assert.equal(quote.status, 200, JSON.stringify(quote.body));
      const created = await call('POST', '/v1/prices/overrides', {
        provider: 'azure_openai', model: 'gpt-4o-2024-08-06', kind: 'discount', discount_percent: '20', effective_from: '2026-01-01T00:00:00Z',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const result = await finished(created.body.restatement.job_id);
      assert.deepEqual([result.rows_scanned, result.rows_changed, result.rows_unpriced], [1, 1, 0]);
      const after = await rows();
      // The catalog's price of the served model, 20% off (the quote's arithmetic is checked in the engine's spec).
      const expected = (Number(quote.body.cost) * 0.8).toFixed(6).replace(/\.?0+$/, '');
      assert.equal(after['azure-1'].estimated_cost, expected);
      assert.equal(after['azure-1'].price_ref, `${quote.body.price_ref}+discount=override:${created.body.override.id}@1`);
      assert.equal(after['azure-1'].version, '2');
    });
  });
}
