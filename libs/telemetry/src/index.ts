export { TelemetryIngestService, parseNdjson } from './collector/telemetry-ingest.service';
export { toLlmRequestRow, type LlmRequestRow } from './events/llm-request.row';
export {
  telemetryEventSchema,
  validateTelemetryEvents,
  type AttemptSummary,
  type TelemetryEventInput,
} from './events/telemetry-event.schema';
export { LlmRequestRestatementService, type RestatementResult } from './restatement/llm-request-restatement.service';
export {
  REQUEST_LIST_PARAMETERS,
  parseRequestId,
  parseRequestListQuery,
  parseWaitMs,
  type RequestListQuery,
} from './requests/request-list.query';
export { REQUEST_BY_ID_SQL, REQUEST_KEYS_BY_ID_SQL, RequestLookupService, type TeamLimit } from './requests/request-lookup.service';
export {
  REQUEST_RECORD_EXAMPLE,
  requestListSchema,
  requestRecordSchema,
  requestsToCsv,
  type RequestList,
  type RequestRecord,
} from './requests/request-record';
export { LATENCY_BUCKETS, latencyBucket, latencyBucketSql } from './usage/latency-histogram';
export { USAGE_DIMENSIONS, USAGE_GRAINS, limitUsageQueryToTeams, parseUsageQuery } from './usage/usage-query';
export { TOKEN_CLASSES, UsageQueryService, usageToCsv, type UsageRow } from './usage/usage-query.service';
export { LlmUsageRollupRepairService, type RollupRepairResult } from './rollups/llm-usage-rollup-repair.service';
export { ClickHouseTelemetryWriter, TelemetryWriteError } from './writer/clickhouse-telemetry.writer';
export { dedupLookupSql, type DedupLookupParams } from './writer/llm-request-dedup.lookup';
export { LLM_REQUEST_COLUMNS, encodeTabSeparated } from './writer/llm-request.tsv';
