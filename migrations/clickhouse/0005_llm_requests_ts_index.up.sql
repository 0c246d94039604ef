-- A per-granule min/max of ts. The sorting key only holds toDate(ts), but each inserted part covers the narrow time
-- window of its batch, so this index lets the writer's de-dup lookup (same day, the batch's ts range) and raw usage
-- queries with sub-day windows skip every part outside the window instead of scanning the whole day.
ALTER TABLE llm_requests ADD INDEX IF NOT EXISTS idx_ts_minmax ts TYPE minmax GRANULARITY 1;
