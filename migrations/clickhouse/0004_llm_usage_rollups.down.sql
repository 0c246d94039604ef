DROP VIEW IF EXISTS llm_usage_daily_customer_mv;
DROP VIEW IF EXISTS llm_usage_hourly_mv;
DROP TABLE IF EXISTS llm_usage_daily_customer;
DROP TABLE IF EXISTS llm_usage_hourly;
