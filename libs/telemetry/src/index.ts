export * from './events/telemetry-event.schema';
export * from './events/llm-request.row';
export * from './writer/clickhouse-telemetry.writer';
export * from './writer/clickhouse-error.classifier';
export * from './collector/telemetry-ingest.service';
export * from './usage/usage-query';
export * from './usage/usage-query.service';
export * from './writer/llm-request.tsv';
