export { TelemetryIngestService, parseNdjson } from './collector/telemetry-ingest.service';
export { toLlmRequestRow, type LlmRequestRow } from './events/llm-request.row';
export {
  telemetryEventSchema,
  validateTelemetryEvents,
  type AttemptSummary,
  type TelemetryEventInput,
} from './events/telemetry-event.schema';
export { LlmRequestRestatementService, type RestatementResult } from './restatement/llm-request-restatement.service';
export { LATENCY_BUCKETS, latencyBucket, latencyBucketSql } from './usage/latency-histogram';
export { parseUsageQuery } from './usage/usage-query';
export { UsageQueryService, usageToCsv, type UsageRow } from './usage/usage-query.service';
export { LlmUsageRollupRepairService, type RollupRepairResult } from './rollups/llm-usage-rollup-repair.service';
export { ClickHouseTelemetryWriter, TelemetryWriteError } from './writer/clickhouse-telemetry.writer';
export { dedupLookupSql, type DedupLookupParams } from './writer/llm-request-dedup.lookup';
export { LLM_REQUEST_COLUMNS, encodeTabSeparated } from './writer/llm-request.tsv';
