import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiStarter } from '../../apps/api/src';
import { ProxyHandle, createProxyStarter, proxyStarter } from '../../apps/proxy/src';
import { launch, RunningProcess } from '@tollgate/runtime';
import { embeddedTarget, StoreTarget, unusedLoopbackPort } from '../support/test-env';

describe('readiness with a store down', () => {
  let target: StoreTarget;
  let running: RunningProcess | undefined;
  let separateProxy: RunningProcess | undefined;
  after(async () => {
    await separateProxy?.stop();
    await running?.stop();
    await target?.cleanup();
  });

  it('keeps /healthz green, answers /readyz 503 naming the store, and keeps serving', async () => {
    target = await embeddedTarget.create();
    // A dead Redis never answers (BullMQ queues commands until it is back), so the probe ends at its timeout.
    running = await launch({ ...target.env, READINESS_TIMEOUT_MS: '2000', REDIS_URL: `redis://127.0.0.1:${await unusedLoopbackPort()}` }, [apiStarter, proxyStarter]);
    for (const url of Object.values(running.urls)) {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const response = await fetch(`${url}/readyz`);
      assert.equal(response.status, 503);
      const report = (await response.json()) as { ready: boolean; checks: Record<string, { ok: boolean; mode: string; error?: string }> };
      assert.equal(report.ready, false);
      assert.equal(report.checks.queue.ok, false);
      assert.equal(report.checks.queue.mode, 'redis');
      assert.ok(report.checks.queue.error && report.checks.queue.error.length > 0);
      assert.equal(report.checks.postgres.ok, true);
      assert.equal(report.checks.clickhouse.ok, true);
      assert.equal(report.checks.migrations.ok, true);
    }
  });

  it('keeps a separate proxy ready while a store is down: it opens none, so it reports them unused', async () => {
    await running?.stop();
    running = undefined;
    await target?.cleanup();
    target = await embeddedTarget.create();
    const secrets = { TOLLGATE_SECRET_KEY: randomBytes(32).toString('hex'), TOLLGATE_COLLECTOR_TOKEN: randomBytes(24).toString('hex') };
    const deadRedis = `redis://127.0.0.1:${await unusedLoopbackPort()}`;
    running = await launch({ ...target.env, ...secrets, READINESS_TIMEOUT_MS: '2000', REDIS_URL: deadRedis, API_PORT: '0' }, [apiStarter]);
    const api = await fetch(`${running.urls.api}/readyz`);
    assert.equal(api.status, 503, 'the api needs its queue');

    let proxy!: ProxyHandle;
    separateProxy = await launch(
      { ...secrets, TOLLGATE_DATA_DIR: target.env.TOLLGATE_DATA_DIR, REDIS_URL: deadRedis, READINESS_TIMEOUT_MS: '2000', PROXY_PORT: '0', LOG_LEVEL: 'error' },
      [createProxyStarter({ apiUrl: running.urls.api }, (h) => (proxy = h))],
      { requireServers: true },
    );
    await proxy.context.catalogue.refresh();
    const response = await fetch(`${proxy.url}/readyz`);
    const report = (await response.json()) as { ready: boolean; checks: Record<string, { ok: boolean; mode: string }> };
    assert.equal(response.status, 200, JSON.stringify(report));
    assert.equal(report.ready, true);
    assert.deepEqual([report.checks.catalogue.ok, report.checks.catalogue.mode], [true, 'api']);
    assert.deepEqual(
      ['postgres', 'clickhouse', 'queue', 'migrations'].map((name) => report.checks[name].mode),
      ['unused', 'unused', 'unused', 'unused'],
    );
  });
});
