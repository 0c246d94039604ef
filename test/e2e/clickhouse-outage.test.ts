import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiStarter } from '../../apps/api/src';
import { createProxyStarter, ProxyHandle } from '../../apps/proxy/src';
import { launch, RunningProcess } from '@tollgate/runtime';
import { embeddedTarget, StoreTarget } from '../support/test-env';
import { FakeOpenAiServer } from '../support/fake-llm-openai.server';
import { adminAuth } from '../support/api-auth';

// Issue 19, item 7: ClickHouse refuses every insert while the all-in-one proxy serves. The proxy must keep answering,
// keep the telemetry in its spool, and once ClickHouse takes inserts again deliver it: raw rows and rollups exact.
// (A separate proxy whose collector is down is test/e2e/proxy-separate.test.ts.) The outage is a constraint no row
// satisfies: every INSERT into llm_requests fails, as it does with the server down, and nothing else changes.
describe('ClickHouse refusing inserts under the all-in-one proxy', () => {
  let target: StoreTarget;
  let running: RunningProcess;
  let proxy: ProxyHandle;
  let key: string;
  const upstream = new FakeOpenAiServer();

  before(async () => {
    target = await embeddedTarget.create();
    await upstream.start();
    running = await launch(target.env, [apiStarter, createProxyStarter({ spoolDeliveryMs: 20 }, (h) => (proxy = h))]);
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${running.urls.api}${path}`, { method: 'POST', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
      const json = (await res.json()) as any;
      assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const provider = await post('/v1/providers', { name: 'openai-outage', kind: 'openai', base_url: `${upstream.url}/v1`, credentials: { apiKey: 'sk-outage' } });
    await post(`/v1/providers/${provider.id}/deployments`, { model: 'gpt-4o-mini' });
    key = (await post('/v1/keys', { name: 'outage' })).key;
    await proxy.context.catalogue.refresh();
  });
  after(async () => {
    await running?.stop();
    await upstream.stop();
    await target?.cleanup();
  });

  const select = async <T>(query: string) => (await running.stores.clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
  const chat = () =>
    fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('serves through the outage, spools, and delivers every event exactly once when ClickHouse is back', async () => {
    await running.stores.clickhouse.command({ query: `ALTER TABLE llm_requests ADD CONSTRAINT outage CHECK request_id = ''` });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await chat();
      assert.equal(res.status, 200);
      await res.text();
      ids.push(res.headers.get('x-tollgate-request-id')!);
    }
    // Delivery was tried and refused; the events are on disk, none in ClickHouse.
    await proxy.context.spool.persist();
    for (let waited = 0; proxy.context.spool.stats().sinkFailures === 0; waited += 20) {
      assert.ok(waited < 10_000, 'the spool tried to deliver within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(proxy.context.spool.stats().delivered, 0);
    assert.deepEqual(await select(`SELECT count() AS n FROM llm_requests`), [{ n: '0' }]);

    await running.stores.clickhouse.command({ query: `ALTER TABLE llm_requests DROP CONSTRAINT outage` });
    await proxy.context.spool.flush();
    const [raw] = await select<{ n: string; ids: string; cost: string }>(`SELECT count() AS n, uniqExact(request_id) AS ids, toString(sum(estimated_cost)) AS cost FROM llm_requests FINAL`);
    assert.deepEqual([raw.n, raw.ids], ['30', '30']);
    const stored = await select<{ request_id: string }>(`SELECT request_id FROM llm_requests FINAL ORDER BY request_id`);
    assert.deepEqual(stored.map((r) => r.request_id), [...ids].sort());
    for (const table of ['llm_usage_hourly', 'llm_usage_daily', 'llm_usage_daily_customer']) {
      const [rollup] = await select<{ n: string; cost: string }>(`SELECT toString(sum(requests)) AS n, toString(sum(estimated_cost)) AS cost FROM ${table}`);
      assert.deepEqual(rollup, { n: '30', cost: raw.cost }, table);
    }
  });
});
