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
  after(async () => {
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

  it('keeps a separate proxy ready (it spools telemetry) while a store is down, reporting the store', async () => {
    await running?.stop();
    running = undefined;
    await target?.cleanup();
    target = await embeddedTarget.create();
    const apiPort = await unusedLoopbackPort(); // free now: the api listens here
    let proxy!: ProxyHandle;
    running = await launch(
      {
        ...target.env,
        READINESS_TIMEOUT_MS: '2000',
        REDIS_URL: `redis://127.0.0.1:${await unusedLoopbackPort()}`,
        API_PORT: String(apiPort),
        TOLLGATE_SECRET_KEY: randomBytes(32).toString('hex'),
        TOLLGATE_COLLECTOR_TOKEN: randomBytes(24).toString('hex'),
      },
      [apiStarter, createProxyStarter({ apiUrl: `http://127.0.0.1:${apiPort}` }, (h) => (proxy = h))],
    );
    const api = await fetch(`${running.urls.api}/readyz`);
    assert.equal(api.status, 503, 'the api needs its queue');
    const response = await fetch(`${proxy.url}/readyz`);
    const report = (await response.json()) as { ready: boolean; checks: Record<string, { ok: boolean; mode: string }> };
    assert.equal(response.status, 200, JSON.stringify(report));
    assert.equal(report.ready, true);
    assert.deepEqual([report.checks.catalogue.ok, report.checks.catalogue.mode], [true, 'api']);
    assert.deepEqual([report.checks.queue.ok, report.checks.queue.mode], [false, 'redis'], 'the dead store is still reported');
  });
});
