// The Tollgate side of the benchmark: api + proxy in one process on embedded stores (telemetry on: every request is
// spooled and written to chDB), a provider pointing at the mock upstream, and a virtual key. Answers the parent's
// `count` message with how many requests the proxy recorded and how many rows reached ClickHouse.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiStarter } from '../../apps/api/src';
import { ProxyHandle, createProxyStarter } from '../../apps/proxy/src';
import { launch } from '@tollgate/runtime';
import { loadSecretKey } from '@tollgate/core';
import { CredentialCipher, ProviderAdminService } from '@tollgate/providers';
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';

async function main() {
  const upstream = process.argv[2];
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  let proxy!: ProxyHandle;
  // BENCH_TOLLGATE=all-in-one runs the api in the same process (as `npm start` does); the default is the proxy alone,
  // as it runs in production, with telemetry straight into ClickHouse (chDB in-process here).
  const allInOne = process.env.BENCH_TOLLGATE === 'all-in-one';
  // BENCH_DELIVERY_MS: spool → ClickHouse delivery cadence (diagnostics: a huge value defers inserts to the final count).
  const options = {
    ...(process.env.BENCH_DELIVERY_MS ? { spoolDeliveryMs: Number(process.env.BENCH_DELIVERY_MS) } : {}),
    ...(process.env.BENCH_SPOOL_BATCH ? { spoolBatchSize: Number(process.env.BENCH_SPOOL_BATCH) } : {}),
  };
  const running = await launch(
    { TOLLGATE_DATA_DIR: dataDir, API_PORT: '0', PROXY_PORT: '0', WORKER_PORT: '0', LOG_LEVEL: 'error' },
    allInOne ? [apiStarter, createProxyStarter(options, (h) => (proxy = h))] : [createProxyStarter(options, (h) => (proxy = h))],
  );
  const admin = new ProviderAdminService(running.stores.dataSource, new CredentialCipher(loadSecretKey(running.stores.config)));
  const provider = await admin.createProvider({ name: 'mock-openai', kind: 'openai', base_url: `${upstream}/v1`, credentials: { apiKey: 'sk-bench' } });
  await admin.createDeployment(provider.id, { model: 'gpt-4o-mini' });
  const key = await admin.createVirtualKey({ name: 'bench', defaults: { feature: 'bench' } }, (d) => d as Record<string, string>);
  await proxy.context.catalogue.refresh();
  // Event-loop delay of the process under load: stalls here show up directly as added latency. 10 ms resolution: at
  // 1 ms its timer alone cost the measured process ~3% of a core (1,000 wakeups a second).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const gc = { minor: 0, minorMs: 0, major: 0, majorMs: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = ((entry as unknown as { detail?: { kind?: number } }).detail)?.kind;
      const major = kind === constants.NODE_PERFORMANCE_GC_MAJOR;
      if (major) (gc.major++, (gc.majorMs += entry.duration));
      else (gc.minor++, (gc.minorMs += entry.duration));
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'count') {
      await proxy.context.spool.flush();
      const [row] = (await (await running.stores.clickhouse.query({ query: 'SELECT count() AS rows, uniqExact(request_id) AS ids FROM llm_requests FINAL', format: 'JSONEachRow' })).json()) as { rows: string; ids: string }[];
      const metrics = await proxy.context.metrics.registry.getSingleMetricAsString('tollgate_proxy_requests_total');
      const answered = metrics.split('\n').filter((l) => l.startsWith('tollgate_proxy_requests_total{')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      // What the embedded ClickHouse did over the run (its own counters since start): how many queries and inserts, merges.
      const events = (await (await running.stores.clickhouse.query({ query: "SELECT event, value FROM system.events WHERE event IN ('SelectQuery', 'InsertQuery', 'InsertedRows', 'Merge', 'MergedRows', 'SelectedRows')", format: 'JSONEachRow' })).json()) as { event: string; value: string }[];
      const clickhouse = Object.fromEntries(events.map((e) => [e.event, Number(e.value)]));
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      process.send?.({ type: 'count', clickhouse, gc: { ...gc, minorMs: Math.round(gc.minorMs), majorMs: Math.round(gc.majorMs), maxMs: Math.round(gc.maxMs) }, mode: allInOne ? 'all-in-one (api + proxy)' : 'proxy process', loop: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) }, recorded: proxy.context.spool.stats().recorded, answered, rows: Number(row.rows), ids: Number(row.ids) });
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
