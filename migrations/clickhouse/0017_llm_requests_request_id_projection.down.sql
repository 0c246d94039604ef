ALTER TABLE llm_requests DROP PROJECTION IF EXISTS by_request_id;
