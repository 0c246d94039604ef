-- The writer's de-dup lookup asks, for each batch, which of its request_ids are stored within the batch's time window.
-- The sorting key (day, feature, customer, model, request_id) spreads a day's timestamps over every granule once parts
-- merge, so idx_ts_minmax (0005) only prunes fresh parts, and the lookup ends up reading the request_id of every row
-- of the day: ~46 ms of CPU per 4,000 ids at 1M rows on chDB, growing with the day. This projection keeps the columns
-- the lookup reads sorted by ts, so it reads only the window's granules (~24 ms at 1M rows, flat as the day grows).
-- A ReplacingMergeTree refuses projections unless told what merges do with them: rebuild it after a deduplicating merge.
ALTER TABLE llm_requests MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE llm_requests ADD PROJECTION IF NOT EXISTS by_ts (SELECT ts, request_id, version, estimated_cost, provider_cost ORDER BY ts);
-- Rows stored before this migration get the projection in the background (a mutation); until then the lookup reads
-- their parts from the table as before.
ALTER TABLE llm_requests MATERIALIZE PROJECTION by_ts;
