ALTER TABLE llm_requests DROP COLUMN IF EXISTS prev_provider_cost;
ALTER TABLE llm_requests DROP COLUMN IF EXISTS prev_estimated_cost;
ALTER TABLE llm_requests DROP COLUMN IF EXISTS prev_version;
ALTER TABLE llm_requests DROP COLUMN IF EXISTS attempts;
ALTER TABLE llm_requests DROP COLUMN IF EXISTS tags;
