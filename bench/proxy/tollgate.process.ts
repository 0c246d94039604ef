// The Tollgate side of the benchmark, on embedded stores with telemetry on, in one of three shapes (BENCH_TOLLGATE):
//   separate (default)  the proxy in a process of its own (tollgate-proxy.process.ts), as docker-compose deploys it:
//                       catalogue over the api's authenticated channel, telemetry spooled and POSTed to the api's
//                       collector; this process is the api (collector, ClickHouse, PostgreSQL).
//   proxy               the proxy process alone, writing telemetry into ClickHouse itself (chDB in its own process).
//   all-in-one          api + proxy in one process, as `npm start` runs them.
// Sets up a provider pointing at the mock upstream and a virtual key; answers the parent's `count` message with how
// many requests the proxy answered and recorded and how many rows reached ClickHouse.
import { ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { apiStarter } from '../../apps/api/src';
import { ProxyHandle, createProxyStarter } from '../../apps/proxy/src';
import { launch } from '@tollgate/runtime';
import { AuditLogService } from '@tollgate/audit';
import { proxyChannelToken } from '@tollgate/auth';
import { CredentialCipher, loadSecretKey } from '@tollgate/core';
import { ProviderAdminService } from '@tollgate/providers';
import { ProcessStats, answeredRequests, spoolOptionsFromEnv, watchProcess } from './process-stats';

type Shape = 'separate' | 'proxy' | 'all-in-one';

interface ProxyCount extends ProcessStats {
  recorded: number;
  answered: number;
}

async function main() {
  const upstream = process.argv[2];
  const shape = (process.env.BENCH_TOLLGATE ?? 'separate') as Shape;
  if (!['separate', 'proxy', 'all-in-one'].includes(shape)) throw new Error(`BENCH_TOLLGATE: separate, proxy or all-in-one, not ${shape}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  // Each run's stores and spool take ~100 MB: gone with the process, however it ends short of a kill.
  const dataDirs = [dataDir];
  process.on('exit', () => dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const collectorToken = randomBytes(24).toString('hex');
  const spoolOptions = spoolOptionsFromEnv();
  let proxy: ProxyHandle | undefined;
  const starters = shape === 'proxy' ? [] : [apiStarter];
  if (shape !== 'separate') starters.push(createProxyStarter(spoolOptions, (h) => (proxy = h)));
  const stats = shape === 'separate' ? undefined : watchProcess();
  const running = await launch(
    { TOLLGATE_DATA_DIR: dataDir, API_PORT: '0', PROXY_PORT: '0', WORKER_PORT: '0', LOG_LEVEL: 'error', TOLLGATE_COLLECTOR_TOKEN: collectorToken },
    starters,
  );
  if (process.env.BENCH_DROP_ROLLUP_VIEWS === '1') {
    // Diagnostics only: what the rollup views cost the embedded ClickHouse per insert.
    for (const view of ['llm_usage_hourly_mv', 'llm_usage_daily_mv', 'llm_usage_daily_customer_mv']) await running.stores.clickhouse.command({ query: `DROP VIEW IF EXISTS ${view}` });
  }
  const secretKey = loadSecretKey(running.stores.config);
  const admin = new ProviderAdminService(
    running.stores.dataSource,
    new CredentialCipher(secretKey, 'provider-credentials'),
    new AuditLogService(running.stores.dataSource),
  );
  const provider = await admin.createProvider({ name: 'mock-openai', kind: 'openai', base_url: `${upstream}/v1`, credentials: { apiKey: 'sk-bench' } });
  await admin.createDeployment(provider.id, { model: 'gpt-4o-mini' });
  const key = await admin.createVirtualKey({ name: 'bench', defaults: { feature: 'bench' } }, (d) => ({ defaults: d as Record<string, string>, fixed: {} }));

  let proxyUrl: string;
  let proxyPid = process.pid;
  let proxyChild: ChildProcess | undefined;
  if (shape === 'separate') {
    // Its own data dir (spool) and its own flags; it opens no store (catalogue and prices come from this api).
    const flags = process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=64';
    const proxyDataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-proxy-'));
    dataDirs.push(proxyDataDir);
    const load = Number(process.env.BENCH_COLLECTOR_LOAD ?? 0);
    if (load > 0) void loadCollector(running.urls.api, collectorToken, join(proxyDataDir, 'proxy-spool'), load);
    proxyChild = fork(join(__dirname, 'tollgate-proxy.process.js'), [running.urls.api, proxyChannelToken(secretKey)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: flags ? flags.split(' ') : [],
      env: {
        ...process.env,
        TOLLGATE_DATA_DIR: proxyDataDir,
        TOLLGATE_COLLECTOR_TOKEN: collectorToken,
        API_PORT: '0',
        PROXY_PORT: '0',
        WORKER_PORT: '0',
        LOG_LEVEL: 'error',
      },
    });
    const ready = await nextMessage<{ url: string }>(proxyChild);
    // BENCH_COLLECTOR_NICE: run the collector (this process: api, chDB) at a lower priority, standing in for the
    // machine of its own it has in a deployment; every thread is reniced (Linux priorities are per thread).
    const nice = Number(process.env.BENCH_COLLECTOR_NICE ?? 0);
    if (nice) for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), nice);
    proxyUrl = ready.url;
    proxyPid = proxyChild.pid!;
  } else {
    await proxy!.context.catalogue.refresh();
    proxyUrl = proxy!.url;
  }

  process.on('message', async (message: { type: string }) => {
    if (message.type === 'count') {
      let proxyCount: ProxyCount;
      if (proxyChild) {
        proxyChild.send({ type: 'count' });
        proxyCount = await nextMessage<ProxyCount>(proxyChild);
      } else {
        await proxy!.context.spool.flush();
        proxyCount = { recorded: proxy!.context.spool.stats().recorded, answered: await answeredRequests(proxy!.context.metrics), ...stats!() };
      }
      const clickhouse = running.stores.clickhouse;
      const [row] = (await (
        await clickhouse.query({ query: `SELECT count() AS rows, uniqExact(request_id) AS ids FROM llm_requests FINAL WHERE feature != '${BACKGROUND_FEATURE}'`, format: 'JSONEachRow' })
      ).json()) as { rows: string; ids: string }[];
      // What the embedded ClickHouse did over the run (its own counters since start): queries, inserts, merges.
      const events = (await (await clickhouse.query({ query: "SELECT event, value FROM system.events WHERE event IN ('SelectQuery', 'InsertQuery', 'InsertedRows', 'Merge', 'MergedRows', 'SelectedRows')", format: 'JSONEachRow' })).json()) as { event: string; value: string }[];
      const mode = { separate: 'separate proxy process + api process (collector, stores), as docker-compose deploys them', proxy: 'proxy process writing ClickHouse (chDB) itself', 'all-in-one': 'all-in-one process (api + proxy)' }[shape];
      process.send?.({ type: 'count', mode, ...proxyCount, clickhouse: Object.fromEntries(events.map((e) => [e.event, Number(e.value)])), rows: Number(row.rows), ids: Number(row.ids) });
    } else if (message.type === 'flush') {
      // Every event recorded so far is stored (the collector answers a delivery once its rows are in ClickHouse).
      if (proxyChild) {
        proxyChild.send({ type: 'flush' });
        await nextMessage(proxyChild);
      } else {
        await proxy!.context.spool.flush();
      }
      process.send?.({ type: 'flushed' });
    } else if (message.type === 'stop') {
      stopping = true;
      if (proxyChild) {
        proxyChild.send({ type: 'stop' });
        await new Promise((resolve) => proxyChild!.once('exit', resolve));
      }
      await running.stop();
      process.exit(0);
    }
  });
  // `pid` serves the requests; `collectorPid` (separate shape) stores their telemetry: the CPU section counts both.
  process.send?.({ type: 'ready', url: proxyUrl, key: key.key, pid: proxyPid, ...(proxyChild ? { collectorPid: process.pid } : {}) });
}

/** Feature of the background load's events, kept out of the telemetry count. */
const BACKGROUND_FEATURE = 'bench-background-load';
/** Set on `stop`: the background load ends, or its keep-alive POSTs would hold the api's shutdown open. */
let stopping = false;

/**
 * BENCH_COLLECTOR_LOAD=<events/s> (separate shape): a steady telemetry load POSTed to the collector from this
 * process for the whole run, under every target alike (direct and Portkey included), as the collector would carry
 * for other proxies. The events are the proxy's own first spooled event with a fresh request id and their own
 * feature. With the proxy's deliveries deferred (BENCH_SPOOL_BATCH / BENCH_DELIVERY_MS) it shows what the
 * collector's work on the same machine does to latency, Tollgate in the path or not.
 */
async function loadCollector(apiUrl: string, token: string, spoolDir: string, eventsPerSecond: number): Promise<void> {
  let template: string | undefined;
  while (!template) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      const segment = readdirSync(spoolDir).filter((name) => name.startsWith('segment-')).sort()[0];
      if (segment) template = readFileSync(join(spoolDir, segment), 'utf8').split('\n').find((line) => line.startsWith('{'));
    } catch {
      // The spool directory appears with the proxy's first event.
    }
  }
  const event = JSON.parse(template) as Record<string, unknown>;
  event.feature = BACKGROUND_FEATURE;
  const batch = 2_000;
  while (!stopping) {
    const started = Date.now();
    let body = '';
    for (let i = 0; i < batch; i++) body += `${JSON.stringify({ ...event, request_id: randomUUID() })}\n`;
    try {
      const response = await fetch(`${apiUrl}/v1/telemetry`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` }, body });
      await response.text();
    } catch {
      return; // the api is stopping
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (batch / eventsPerSecond) * 1000 - (Date.now() - started))));
  }
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`proxy process exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
