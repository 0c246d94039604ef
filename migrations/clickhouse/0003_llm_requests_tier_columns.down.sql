ALTER TABLE llm_requests DROP COLUMN IF EXISTS service_tier;
ALTER TABLE llm_requests DROP COLUMN IF EXISTS cache_write_1h_tokens;
