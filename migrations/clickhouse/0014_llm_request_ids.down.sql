DROP VIEW IF EXISTS llm_request_ids_mv;
DROP TABLE IF EXISTS llm_request_ids;
