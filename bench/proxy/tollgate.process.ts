// The Tollgate side of the benchmark: api + proxy in one process on embedded stores (telemetry on: every request is
// spooled and written to chDB), a provider pointing at the mock upstream, and a virtual key. Answers the parent's
// `count` message with how many requests the proxy recorded and how many rows reached ClickHouse.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiStarter } from '../../apps/api/src';
import { ProxyHandle, createProxyStarter } from '../../apps/proxy/src';
import { launch } from '@tollgate/runtime';
import { monitorEventLoopDelay } from 'node:perf_hooks';

async function main() {
  const upstream = process.argv[2];
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  let proxy!: ProxyHandle;
  const running = await launch(
    { TOLLGATE_DATA_DIR: dataDir, API_PORT: '0', PROXY_PORT: '0', WORKER_PORT: '0', LOG_LEVEL: 'error' },
    [apiStarter, createProxyStarter({}, (h) => (proxy = h))],
  );
  const post = async (path: string, body: unknown) => (await fetch(`${running.urls.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<any>;
  const provider = await post('/v1/providers', { name: 'mock-openai', kind: 'openai', base_url: `${upstream}/v1`, credentials: { apiKey: 'sk-bench' } });
  await post(`/v1/providers/${provider.id}/deployments`, { model: 'gpt-4o-mini' });
  const key = await post('/v1/keys', { name: 'bench', defaults: { feature: 'bench' } });
  await proxy.context.catalogue.refresh();
  // Event-loop delay of the process under load: stalls here show up directly as added latency.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'count') {
      await proxy.context.spool.flush();
      const [row] = (await (await running.stores.clickhouse.query({ query: 'SELECT count() AS rows, uniqExact(request_id) AS ids FROM llm_requests FINAL', format: 'JSONEachRow' })).json()) as { rows: string; ids: string }[];
      const metrics = await proxy.context.metrics.registry.getSingleMetricAsString('tollgate_proxy_requests_total');
      const answered = metrics.split('\n').filter((l) => l.startsWith('tollgate_proxy_requests_total{')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      process.send?.({ type: 'count', loop: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) }, recorded: proxy.context.spool.stats().recorded, answered, rows: Number(row.rows), ids: Number(row.ids) });
    } else if (message.type === 'stop') {
      await running.stop();
      process.exit(0);
    }
  });
  process.send?.({ type: 'ready', url: proxy.url, key: key.key });
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
