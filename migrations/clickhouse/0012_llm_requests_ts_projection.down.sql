ALTER TABLE llm_requests DROP PROJECTION IF EXISTS by_ts;
ALTER TABLE llm_requests RESET SETTING deduplicate_merge_projection_mode;
