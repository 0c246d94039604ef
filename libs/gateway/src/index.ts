export * from './attribution/attribution.resolver';
export * from './telemetry/telemetry.spool';
export * from './telemetry/telemetry.sinks';
export * from './usage/token.estimator';
export * from './metrics/proxy.metrics';
