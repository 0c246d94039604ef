-- Columns the telemetry collector writes beside 0001's: free-form tags, the attempts summary of a fallback chain,
-- and the superseded version's money on a restated row (prev_*), which lets the rollups add a restatement as a
-- cost delta instead of a second request (see libs/telemetry/README.md).
ALTER TABLE llm_requests ADD COLUMN IF NOT EXISTS tags Map(String, String) AFTER currency;
ALTER TABLE llm_requests ADD COLUMN IF NOT EXISTS attempts String DEFAULT '' AFTER tags;
ALTER TABLE llm_requests ADD COLUMN IF NOT EXISTS prev_version UInt64 DEFAULT 0 AFTER version;
ALTER TABLE llm_requests ADD COLUMN IF NOT EXISTS prev_estimated_cost Decimal(38, 12) DEFAULT 0 AFTER prev_version;
ALTER TABLE llm_requests ADD COLUMN IF NOT EXISTS prev_provider_cost Decimal(38, 12) DEFAULT 0 AFTER prev_estimated_cost;
