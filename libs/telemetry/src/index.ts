export * from './events/telemetry-event.schema';
export * from './events/llm-request.row';
export * from './writer/clickhouse-telemetry.writer';
export * from './writer/clickhouse-error.classifier';
