DROP TABLE IF EXISTS llm_requests;
