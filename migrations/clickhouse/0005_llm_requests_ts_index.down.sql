ALTER TABLE llm_requests DROP INDEX IF EXISTS idx_ts_minmax;
