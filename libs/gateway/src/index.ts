export {
  AttributionFixedError,
  resolveAttribution,
  validateAttributionDefaults,
  validateKeyAttribution,
  type Attribution,
  type AttributionFixed,
} from './attribution/attribution.resolver';
export { ProxyMetrics } from './metrics/proxy.metrics';
export { ClickHouseSink, CollectorSink } from './telemetry/telemetry.sinks';
export { TelemetrySpool, type TelemetrySink } from './telemetry/telemetry.spool';
export { TokenEstimator } from './usage/token.estimator';
