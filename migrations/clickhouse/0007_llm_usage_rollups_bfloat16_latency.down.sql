-- Back to 0006's shape is not worth a second rebuild: drop the rollups; re-applying 0007 rebuilds them from raw rows.
DROP VIEW IF EXISTS llm_usage_hourly_mv;
DROP VIEW IF EXISTS llm_usage_daily_mv;
DROP VIEW IF EXISTS llm_usage_daily_customer_mv;
DROP TABLE IF EXISTS llm_usage_hourly;
DROP TABLE IF EXISTS llm_usage_daily;
DROP TABLE IF EXISTS llm_usage_daily_customer;
