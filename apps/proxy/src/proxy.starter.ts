import { join, resolve } from 'node:path';
import { Server } from 'node:http';
import { Agent } from 'undici';
import { proxyChannelToken } from '@tollgate/auth';
import { ConfigError, CredentialCipher, ShutdownCoordinator, loadSecretKey, loadSecretKeys } from '@tollgate/core';
import { ClickHouseSink, CollectorSink, ProxyMetrics, TelemetrySink, TelemetrySpool, TokenEstimator } from '@tollgate/gateway';
import { PRICING_ENTITIES, PriceOverrideRepository, PricingService, PushedPriceOverrideSource } from '@tollgate/pricing';
import { AdapterRegistry, CatalogueSource, PostgresCatalogueSource, ProviderCatalogue } from '@tollgate/providers';
import { FallbackPolicy, TargetSelector } from '@tollgate/routing';
import { AppStarter, closeServer, serverUrl, applyServerLimits, serverLimitsOf } from '@tollgate/runtime';
import { Stores } from '@tollgate/storage';
import { ClickHouseTelemetryWriter } from '@tollgate/telemetry';
import { createProxyServer } from './proxy.server';
import { ProxyContext } from './pipeline/proxy.context';
import { HttpCatalogueSource } from './pipeline/http-catalogue.source';

/**
 * How the proxy reaches the rest of Tollgate. In the all-in-one process (default) it reads providers, deployments,
 * keys and price overrides from PostgreSQL itself (credentials decrypted in memory) and writes telemetry straight to
 * ClickHouse. As a separate process it polls the api's authenticated catalogue endpoint (price overrides included)
 * and POSTs telemetry to the collector: it opens neither PostgreSQL nor ClickHouse.
 */
export interface ProxyOptions {
  apiUrl?: string;
  /** Bearer token (scope `proxy`) for the catalogue endpoint. */
  apiToken?: string;
  /** Bearer token for the collector; defaults to TOLLGATE_COLLECTOR_TOKEN. */
  collectorToken?: string;
  /** Spool directory; defaults to `<data dir>/proxy-spool`. */
  spoolDir?: string;
  /** Spool fsync cadence: the window of telemetry at risk on kill -9. */
  spoolSyncMs?: number;
  /** How often spooled events are delivered (fewer, larger inserts; durability comes from the spool's fsync). */
  spoolDeliveryMs?: number;
  /** Events per delivered batch (a full batch is delivered at once). */
  spoolBatchSize?: number;
  /** Catalogue refresh period. */
  refreshMs?: number;
  /** With `apiUrl`, until the first catalogue load: first retry delay (0.5 s), doubled up to `catalogueRetryMaxMs` (5 s). */
  catalogueRetryMs?: number;
  catalogueRetryMaxMs?: number;
}

export interface ProxyHandle {
  server: Server;
  url: string;
  context: ProxyContext;
}

/** Starts the proxy on open stores and registers its shutdown: stop accepting, then drain telemetry to the sink. */
export async function startProxy(stores: Stores, shutdown: ShutdownCoordinator, options: ProxyOptions = {}): Promise<ProxyHandle> {
  const remote = options.apiUrl !== undefined;
  let source: CatalogueSource;
  let sink: TelemetrySink;
  let closeSink: () => Promise<void>;
  let pricing: PricingService;
  if (remote) {
    const collectorToken = options.collectorToken ?? stores.config.TOLLGATE_COLLECTOR_TOKEN;
    if (!collectorToken) throw new ConfigError('TOLLGATE_COLLECTOR_TOKEN: a separate proxy needs the collector token');
    if (!options.apiToken && !stores.config.TOLLGATE_SECRET_KEY) {
      throw new ConfigError('TOLLGATE_PROXY_TOKEN or TOLLGATE_SECRET_KEY: a separate proxy needs an API token of scope proxy or the key it shares with the api');
    }
    // Price overrides arrive with each catalogue and are loaded before it is served: no refresh timer of their own.
    const overrides = new PushedPriceOverrideSource();
    const remotePricing = new PricingService(overrides);
    pricing = remotePricing;
    source = new HttpCatalogueSource(options.apiUrl!, options.apiToken ?? proxyChannelToken(loadSecretKey(stores.config)), async (received) => {
      overrides.replace(received);
      await remotePricing.refresh();
    });
    const collector = new CollectorSink(options.apiUrl!, collectorToken);
    sink = collector;
    closeSink = () => collector.close();
  } else {
    source = new PostgresCatalogueSource(stores.dataSource, CredentialCipher.fromKeys(loadSecretKeys(stores.config), 'provider-credentials'));
    // Price overrides (custom prices, discounts) from PostgreSQL as an in-memory snapshot: priceRequestSync on the hot path.
    pricing = new PricingService(new PriceOverrideRepository(stores.dataSource), { refreshIntervalMs: 30_000 });
    await pricing.start();
    const writer = new ClickHouseTelemetryWriter(stores.clickhouse, { flushIntervalMs: 10 });
    sink = new ClickHouseSink(writer);
    closeSink = () => writer.close();
  }
  const catalogue = new ProviderCatalogue(source, { refreshMs: options.refreshMs, retryInitialMs: options.catalogueRetryMs, retryMaxMs: options.catalogueRetryMaxMs });
  // Follows the catalogue from its first snapshot on: subscribed before the first load.
  const routes = new TargetSelector(catalogue);
  // With the api as source the proxy boots whether or not the api answers yet (/readyz and early requests say the
  // catalogue is not loaded); reading PostgreSQL itself, which the launcher just migrated, a failed load is a fault.
  await catalogue.start({ retryUntilLoaded: remote });
  // Registered at once: a boot that fails further on must not leave the catalogue retrying.
  shutdown.register('drain', 'proxy-catalogue', () => catalogue.stop());
  const spool = new TelemetrySpool(options.spoolDir ?? join(resolve(stores.config.TOLLGATE_DATA_DIR), 'proxy-spool'), sink, { syncIntervalMs: options.spoolSyncMs ?? 50, deliveryIntervalMs: options.spoolDeliveryMs ?? 1_000, batchSize: options.spoolBatchSize });
  await spool.open();
  const estimator = new TokenEstimator();
  await estimator.start();
  // Last phase: a request still finishing while telemetry drains may need an estimate.
  shutdown.register('stores', 'proxy-tokenizer', () => estimator.close());
  const upstream = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, connections: 1024, pipelining: 1 });
  const context: ProxyContext = {
    catalogue,
    routes,
    fallback: new FallbackPolicy(),
    adapters: new AdapterRegistry(),
    upstream,
    spool,
    pricing,
    estimator,
    metrics: new ProxyMetrics(),
    maxBodyBytes: 32 * 1024 * 1024,
  };
  // A separate proxy serves as long as it has a catalogue: telemetry is spooled while the collector or ClickHouse is
  // away and prices come from memory, so a store outage must not take it out of a load balancer (invariant 5). In the
  // all-in-one process the same /readyz also stands for the api's stores.
  const server = createProxyServer(stores, context, { catalogue: { mode: remote ? 'api' : 'postgres', probe: () => catalogue.assertLoaded() } }, remote ? ['catalogue'] : undefined);
  applyServerLimits(server, serverLimitsOf(stores.config));
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(stores.config.PROXY_PORT, stores.config.HOST, () => resolvePromise());
  });
  shutdown.register('accept', 'proxy', () => closeServer(server));
  shutdown.register('drain', 'proxy-telemetry', async () => {
    pricing.stop();
    await spool.close(Math.max(1_000, stores.config.SHUTDOWN_TIMEOUT_MS - 2_000));
    await closeSink();
    await upstream.close();
  });
  return { server, url: serverUrl(server), context };
}

/** The proxy as one app of a process; `options` select the separate-process mode. */
export function createProxyStarter(options: ProxyOptions = {}, onStarted?: (handle: ProxyHandle) => void): AppStarter {
  // A separate proxy talks only to the api and the collector: it starts, and serves, whatever the stores do.
  const readsStores = options.apiUrl === undefined;
  return {
    name: 'proxy',
    entities: readsStores ? [...PRICING_ENTITIES] : [],
    usesClickHouse: readsStores,
    usesPostgres: readsStores,
    async start(stores: Stores, shutdown: ShutdownCoordinator) {
      const handle = await startProxy(stores, shutdown, options);
      onStarted?.(handle);
      return { url: handle.url };
    },
  };
}

/** All-in-one default: catalogue from PostgreSQL, telemetry straight into ClickHouse. */
export const proxyStarter: AppStarter = createProxyStarter();
