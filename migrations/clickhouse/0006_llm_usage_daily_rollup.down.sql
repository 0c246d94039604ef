DROP VIEW IF EXISTS llm_usage_daily_mv;
DROP TABLE IF EXISTS llm_usage_daily;
