-- The billed service tier (standard, batch, priority, flex) and the 1-hour-TTL share of cache writes: both change
-- the price of a request, so a restatement must be able to re-price from the stored row alone.
ALTER TABLE llm_requests ADD COLUMN IF NOT EXISTS cache_write_1h_tokens UInt64 DEFAULT 0 AFTER cache_write_tokens;
ALTER TABLE llm_requests ADD COLUMN IF NOT EXISTS service_tier LowCardinality(String) DEFAULT 'standard' AFTER usage_source;
