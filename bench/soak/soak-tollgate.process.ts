// The Tollgate side of the soak bench: api + proxy in one process (as `npm start` runs them) on embedded stores under
// argv[2], telemetry on (spool → writer → chDB). On a first start it sets up the model `gpt-4o-mini` on two providers,
// the flaky one first (argv[3]) and a healthy backup (argv[4]), and a virtual key; restarted on the same directory
// (SOAK_KEY set) it keeps them. Answers the parent's messages: `mem` (RSS and heap after a full GC), `count` (rows in
// ClickHouse, rollup totals, fallbacks), `flush` (spool delivered), `stop`. Run with --expose-gc.
import { launch } from '@tollgate/runtime';
import { AuditLogService } from '@tollgate/audit';
import { CredentialCipher, loadSecretKey } from '@tollgate/core';
import { ProviderAdminService } from '@tollgate/providers';
import { ProxyHandle, createProxyStarter } from '../../apps/proxy/src';
import { apiStarter } from '../../apps/api/src';

async function main() {
  const [dataDir, flakyUrl, backupUrl] = process.argv.slice(2);
  let proxy: ProxyHandle | undefined;
  const running = await launch(
    { TOLLGATE_DATA_DIR: dataDir, API_PORT: '0', PROXY_PORT: '0', WORKER_PORT: '0', LOG_LEVEL: 'error' },
    [apiStarter, createProxyStarter({}, (h) => (proxy = h))],
  );
  let key = process.env.SOAK_KEY;
  if (!key) {
    const admin = new ProviderAdminService(running.stores.dataSource, new CredentialCipher(loadSecretKey(running.stores.config), 'provider-credentials'), new AuditLogService(running.stores.dataSource));
    const flaky = await admin.createProvider({ name: 'flaky-openai', kind: 'openai', base_url: `${flakyUrl}/v1`, credentials: { apiKey: 'sk-flaky' } });
    await admin.createDeployment(flaky.id, { model: 'gpt-4o-mini' });
    const backup = await admin.createProvider({ name: 'backup-openai', kind: 'openai_compatible', base_url: `${backupUrl}/v1`, credentials: { apiKey: 'sk-backup' } });
    await admin.createDeployment(backup.id, { model: 'gpt-4o-mini' });
    key = (await admin.createVirtualKey({ name: 'soak', defaults: { feature: 'soak' } }, (d) => ({ defaults: d as Record<string, string>, fixed: {} }))).key;
  }
  await proxy!.context.catalogue.refresh();
  const gc = (globalThis as { gc?: () => void }).gc;
  const one = async <T>(query: string) => ((await (await running.stores.clickhouse.query({ query, format: 'JSONEachRow' })).json()) as T[])[0];

  process.on('message', async (message: { type: string }) => {
    if (message.type === 'mem') {
      gc?.();
      const m = process.memoryUsage();
      process.send?.({ type: 'mem', rss: m.rss, heapUsed: m.heapUsed });
    } else if (message.type === 'flush') {
      await proxy!.context.spool.flush();
      process.send?.({ type: 'flushed' });
    } else if (message.type === 'count') {
      await proxy!.context.spool.flush();
      const raw = await one<{ rows: string; fallbacks: string; errors: string }>(
        `SELECT count() AS rows, countIf(fallback_from != '') AS fallbacks, countIf(status >= 400 OR status = 0) AS errors FROM llm_requests FINAL`,
      );
      const rollup = await one<{ requests: string }>(`SELECT sum(requests) AS requests FROM llm_usage_daily`);
      process.send?.({ type: 'count', rows: Number(raw.rows), fallbacks: Number(raw.fallbacks), errors: Number(raw.errors), rollupRequests: Number(rollup.requests ?? 0) });
    } else if (message.type === 'stop') {
      await running.stop();
      process.exit(0);
    }
  });
  process.send?.({ type: 'ready', url: proxy!.url, key });
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
