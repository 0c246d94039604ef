import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The proxy's Prometheus metrics on its own registry (the api in the same process keeps its own). The headline is
 * the latency the proxy itself adds: for complete responses, total time minus the upstream's time; for streams,
 * the time it adds before the first byte reaches the client.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly addedLatency = new Histogram({
    name: 'tollgate_proxy_added_latency_seconds',
    help: 'Latency added by the proxy itself (total minus upstream time; for streams, added time to first byte)',
    labelNames: ['endpoint', 'kind'] as const,
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'tollgate_proxy_requests_total',
    help: 'Requests answered by the proxy, by endpoint, provider and status class',
    labelNames: ['endpoint', 'provider', 'status_class'] as const,
    registers: [this.registry],
  });
  readonly spoolBacklog = new Gauge({
    name: 'tollgate_proxy_telemetry_backlog_events',
    help: 'Telemetry events recorded but not yet delivered',
    registers: [this.registry],
  });
  readonly spoolDropped = new Gauge({
    name: 'tollgate_proxy_telemetry_dropped_events',
    help: 'Telemetry events dropped because the disk kept failing (should stay 0)',
    registers: [this.registry],
  });

  /** Label children looked up by nested maps (no label string built or hashed per request). */
  private readonly addedChildren = new Map<string, { response?: { observe(value: number): void }; first_byte?: { observe(value: number): void } }>();
  private readonly requestChildren = new Map<string, Map<string, Map<number, { inc(): void }>>>();

  observeAdded(endpoint: string, kind: 'response' | 'first_byte', seconds: number): void {
    let byKind = this.addedChildren.get(endpoint);
    if (!byKind) this.addedChildren.set(endpoint, (byKind = {}));
    (byKind[kind] ??= this.addedLatency.labels(endpoint, kind)).observe(seconds);
  }

  countRequest(endpoint: string, provider: string, status: number): void {
    let byProvider = this.requestChildren.get(endpoint);
    if (!byProvider) this.requestChildren.set(endpoint, (byProvider = new Map()));
    let byStatus = byProvider.get(provider);
    if (!byStatus) byProvider.set(provider, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (!child) byStatus.set(status, (child = this.requests.labels(endpoint, provider, `${Math.floor(status / 100)}xx`)));
    child.inc();
  }
}
