import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { apiStarter } from '../../apps/api/src';
import { ProxyHandle, createProxyStarter } from '../../apps/proxy/src';
import { AppStarter, RunningProcess, launch } from '@tollgate/runtime';
import { StoreTarget, storeTargets, unusedLoopbackPort } from '../support/test-env';
import { adminAuth } from '../support/api-auth';
import { FakeOpenAiServer, OPENAI_TEXT } from '../support/fake-llm-openai.server';

interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; mode: string; error?: string }>;
}

/** Through the api's REST endpoints: an OpenAI provider at `upstreamUrl`, a gpt-4o-mini deployment, a virtual key. */
async function provisionOpenAi(apiUrl: string, upstreamUrl: string): Promise<string> {
  async function post(path: string, body: unknown): Promise<any> {
    const res = await fetch(`${apiUrl}${path}`, { method: 'POST', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
    const json = await res.json();
    assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  const provider = await post('/v1/providers', { name: 'openai-main', kind: 'openai', base_url: `${upstreamUrl}/v1`, credentials: { apiKey: 'sk-upstream-secret' } });
  await post(`/v1/providers/${provider.id}/deployments`, { model: 'gpt-4o-mini' });
  return (await post('/v1/keys', { name: 'checkout-service' })).key;
}

for (const factory of storeTargets) {
  describe(`separate proxy on ${factory.name} stores, api down at its start`, () => {
    let target: StoreTarget;
    let running: RunningProcess | undefined;
    const fakeOpenAi = new FakeOpenAiServer();
    after(async () => {
      await running?.stop();
      await fakeOpenAi.stop();
      await target?.cleanup();
    });

    it('boots, answers /readyz and requests with a 503 naming the catalogue, then serves and delivers telemetry once the api is up', async () => {
      target = await factory.create();
      await fakeOpenAi.start();
      const port = await unusedLoopbackPort();
      const apiUrl = `http://127.0.0.1:${port}`;
      // The api shares this process's stores (chDB: one process per data dir) but listens only when the test says.
      let startApi!: () => Promise<string>;
      const apiLater: AppStarter = {
        name: 'api',
        entities: apiStarter.entities,
        async start(stores, shutdown) {
          startApi = async () => (await apiStarter.start(stores, shutdown)).url;
          return { url: apiUrl };
        },
      };
      let proxy!: ProxyHandle;
      // As in docker-compose: the two shared secrets set, the channel token derived from the secret key.
      const env = { ...target.env, API_PORT: String(port), TOLLGATE_SECRET_KEY: randomBytes(32).toString('hex'), TOLLGATE_COLLECTOR_TOKEN: randomBytes(24).toString('hex') };
      running = await launch(env, [apiLater, createProxyStarter({ apiUrl, catalogueRetryMs: 25, catalogueRetryMaxMs: 200 }, (h) => (proxy = h))]);

      assert.equal((await fetch(`${proxy.url}/healthz`)).status, 200);
      const notReady = await fetch(`${proxy.url}/readyz`);
      const report = (await notReady.json()) as Readiness;
      assert.equal(notReady.status, 503, JSON.stringify(report));
      assert.equal(report.ready, false);
      assert.equal(report.checks.catalogue.ok, false);
      assert.equal(report.checks.catalogue.mode, 'api');
      assert.match(report.checks.catalogue.error ?? '', /^catalogue not loaded yet: (api unreachable for the catalogue: .*ECONNREFUSED|first load in progress)/);
      assert.deepEqual(
        ['postgres', 'clickhouse', 'queue', 'migrations'].map((name) => report.checks[name].ok),
        [true, true, true, true],
        'the stores are fine: only the catalogue holds readiness back',
      );

      const openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'tg-a-key-the-proxy-cannot-check-yet', maxRetries: 0 });
      for (const call of [() => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }), () => openai.models.list()]) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof OpenAI.InternalServerError, String(error));
          assert.equal(error.status, 503);
          assert.equal(error.code, 'catalogue_unavailable');
          assert.equal(error.type, 'api_error');
          assert.match(error.message, /catalogue not loaded yet/);
          assert.deepEqual(Object.keys(error.error as object).sort(), ['code', 'message', 'param', 'type'], 'an OpenAI-format error body');
          assert.match(error.headers?.get('retry-after') ?? '', /^[1-9]\d*$/);
          return true;
        });
      }

      const api = await startApi();
      assert.equal(api, apiUrl);
      const key = await provisionOpenAi(api, fakeOpenAi.url);

      // The backoff's next attempt finds the api: readiness turns green with no restart.
      let ready: Readiness | undefined;
      for (let attempt = 0; attempt < 2_000 && !ready?.ready; attempt++) ready = (await (await fetch(`${proxy.url}/readyz`)).json()) as Readiness;
      assert.equal(ready?.ready, true, JSON.stringify(ready));
      const catalogue = ready!.checks.catalogue;
      assert.deepEqual([catalogue.ok, catalogue.mode, catalogue.error], [true, 'api', undefined]);
      assert.equal((await fetch(`${proxy.url}/readyz`)).status, 200);

      const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: key, maxRetries: 0 });
      const { data, response } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tollgate-feature': 'late-api' } })
        .withResponse();
      assert.equal(data.choices[0].message.content, OPENAI_TEXT.join(''));
      assert.equal(fakeOpenAi.requests.at(-1)!.headers.authorization, 'Bearer sk-upstream-secret', 'credentials arrived over the channel');
      await proxy.context.spool.flush();
      const rows = (await (
        await running.stores.clickhouse.query({
          query: `SELECT feature, provider, status, input_tokens, estimated_cost FROM llm_requests FINAL WHERE request_id = {id:String}`,
          query_params: { id: response.headers.get('x-tollgate-request-id') },
          format: 'JSONEachRow',
        })
      ).json()) as unknown[];
      assert.deepEqual(rows, [{ feature: 'late-api', provider: 'openai', status: 200, input_tokens: '12', estimated_cost: '0.0000045' }]);
    });
  });

  describe(`separate proxy on ${factory.name} stores, no store reachable from it`, () => {
    let target: StoreTarget;
    let api: RunningProcess | undefined;
    let proxyProcess: RunningProcess | undefined;
    const proxyDataDir = mkdtempSync(join(tmpdir(), 'tollgate-proxy-'));
    const fakeOpenAi = new FakeOpenAiServer();
    after(async () => {
      await proxyProcess?.stop();
      await api?.stop();
      await fakeOpenAi.stop();
      await target?.cleanup();
      rmSync(proxyDataDir, { recursive: true, force: true });
    });

    it('opens no store, is ready, serves at the prices the api holds, and its telemetry reaches ClickHouse through the collector', async () => {
      target = await factory.create();
      await fakeOpenAi.start();
      const secrets = { TOLLGATE_SECRET_KEY: randomBytes(32).toString('hex'), TOLLGATE_COLLECTOR_TOKEN: randomBytes(24).toString('hex') };
      api = await launch({ ...target.env, ...secrets, API_PORT: '0' }, [apiStarter]);
      const apiUrl = api.urls.api;
      // As `npm run start:proxy` runs it (servers required), with store URLs nobody answers on.
      let proxy!: ProxyHandle;
      const proxyEnv = {
        ...secrets,
        TOLLGATE_DATA_DIR: proxyDataDir,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${await unusedLoopbackPort()}/nowhere`,
        CLICKHOUSE_URL: `http://127.0.0.1:${await unusedLoopbackPort()}`,
        REDIS_URL: `redis://127.0.0.1:${await unusedLoopbackPort()}`,
        PROXY_PORT: '0',
        LOG_LEVEL: 'error',
      };
      proxyProcess = await launch(proxyEnv, [createProxyStarter({ apiUrl }, (h) => (proxy = h))], { requireServers: true });
      assert.throws(() => proxyProcess!.stores.clickhouse, /ClickHouse is not opened in this process/);
      assert.throws(() => proxyProcess!.stores.postgresUrl, /PostgreSQL is not opened in this process/);
      assert.throws(() => proxyProcess!.stores.queues, /PostgreSQL is not opened in this process/);

      const key = await provisionOpenAi(apiUrl, fakeOpenAi.url);
      // A custom price set in the api reaches the proxy with its catalogue: $1 / $2 per million input / output tokens.
      const created = await fetch(`${apiUrl}/v1/prices/overrides`, {
        method: 'POST',
        headers: adminAuth({ 'content-type': 'application/json' }),
        body: JSON.stringify({ provider: 'openai', model: 'gpt-4o-mini', kind: 'custom_price', prices: { input: '1', output: '2' }, effective_from: '2026-01-01T00:00:00Z' }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const override = ((await created.json()) as { override: { price_ref: string } }).override;
      await proxy.context.catalogue.refresh();

      const readyz = await fetch(`${proxy.url}/readyz`);
      const report = (await readyz.json()) as Readiness;
      assert.equal(readyz.status, 200, JSON.stringify(report));
      assert.deepEqual(
        ['postgres', 'clickhouse', 'queue'].map((name) => [name, report.checks[name].ok, report.checks[name].mode]),
        [
          ['postgres', true, 'unused'],
          ['clickhouse', true, 'unused'],
          ['queue', true, 'unused'],
        ],
      );
      assert.deepEqual([report.checks.catalogue.ok, report.checks.migrations.ok], [true, true]);

      const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: key, maxRetries: 0 });
      const { data, response } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tollgate-feature': 'no-store-here' } })
        .withResponse();
      assert.equal(data.choices[0].message.content, OPENAI_TEXT.join(''));
      // 12 input tokens at $1 (the 4 cached ones too: the override prices no cached class) + 5 output at $2.
      assert.equal(response.headers.get('x-tollgate-cost'), '0.000022');
      await proxy.context.spool.flush();
      const rows = (await (
        await api.stores.clickhouse.query({
          query: `SELECT feature, status, input_tokens, estimated_cost, price_ref FROM llm_requests FINAL WHERE request_id = {id:String}`,
          query_params: { id: response.headers.get('x-tollgate-request-id') },
          format: 'JSONEachRow',
        })
      ).json()) as unknown[];
      assert.deepEqual(rows, [{ feature: 'no-store-here', status: 200, input_tokens: '12', estimated_cost: '0.000022', price_ref: override.price_ref }]);
    });
  });
}
