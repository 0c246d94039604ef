-- Rollups of llm_requests for the usage API and dashboards: hour x feature x customer x model x provider x env, and
-- day x customer (both also keyed by currency: money of different currencies is never summed).
--
-- Correct under duplicates and restatements because each llm_requests row version contributes a DELTA:
--   * a new request (prev_version = 0) adds 1 request, its tokens, its latency and its money;
--   * a restated version (prev_version > 0, written with the superseded version's money in prev_*) adds only
--     estimated_cost - prev_estimated_cost and provider_cost - prev_provider_cost: no request, no tokens, no latency;
--   * a re-sent duplicate is never inserted: the one writer (ClickHouseTelemetryWriter) looks the batch's
--     request_ids up first and skips those already stored at the same or a higher version.
-- Anyone writing llm_requests outside that writer (a restatement job) must follow the same rule: re-insert with a
-- higher version and prev_version/prev_estimated_cost/prev_provider_cost = the superseded row's version and money.
CREATE TABLE IF NOT EXISTS llm_usage_hourly
(
    hour DateTime('UTC'),
    feature LowCardinality(String),
    customer String,
    model LowCardinality(String),
    provider LowCardinality(String),
    env LowCardinality(String),
    currency LowCardinality(String),
    requests SimpleAggregateFunction(sum, Int64),
    error_requests SimpleAggregateFunction(sum, Int64),
    input_tokens SimpleAggregateFunction(sum, Int64),
    cached_input_tokens SimpleAggregateFunction(sum, Int64),
    cache_write_tokens SimpleAggregateFunction(sum, Int64),
    output_tokens SimpleAggregateFunction(sum, Int64),
    reasoning_tokens SimpleAggregateFunction(sum, Int64),
    audio_input_tokens SimpleAggregateFunction(sum, Int64),
    audio_output_tokens SimpleAggregateFunction(sum, Int64),
    image_tokens SimpleAggregateFunction(sum, Int64),
    estimated_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    provider_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    latency_ms AggregateFunction(quantilesIf(0.5, 0.95), UInt32, UInt8)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, feature, customer, model, provider, env, currency);

CREATE TABLE IF NOT EXISTS llm_usage_daily_customer
(
    day Date,
    customer String,
    currency LowCardinality(String),
    requests SimpleAggregateFunction(sum, Int64),
    error_requests SimpleAggregateFunction(sum, Int64),
    input_tokens SimpleAggregateFunction(sum, Int64),
    cached_input_tokens SimpleAggregateFunction(sum, Int64),
    cache_write_tokens SimpleAggregateFunction(sum, Int64),
    output_tokens SimpleAggregateFunction(sum, Int64),
    reasoning_tokens SimpleAggregateFunction(sum, Int64),
    audio_input_tokens SimpleAggregateFunction(sum, Int64),
    audio_output_tokens SimpleAggregateFunction(sum, Int64),
    image_tokens SimpleAggregateFunction(sum, Int64),
    estimated_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    provider_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    latency_ms AggregateFunction(quantilesIf(0.5, 0.95), UInt32, UInt8)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, customer, currency);

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_hourly_mv TO llm_usage_hourly AS
SELECT
    hour, feature, customer, model, provider, env, currency,
    sum(d_requests) AS requests,
    sum(d_errors) AS error_requests,
    sum(d_input_tokens) AS input_tokens,
    sum(d_cached_input_tokens) AS cached_input_tokens,
    sum(d_cache_write_tokens) AS cache_write_tokens,
    sum(d_output_tokens) AS output_tokens,
    sum(d_reasoning_tokens) AS reasoning_tokens,
    sum(d_audio_input_tokens) AS audio_input_tokens,
    sum(d_audio_output_tokens) AS audio_output_tokens,
    sum(d_image_tokens) AS image_tokens,
    sum(d_cost) AS estimated_cost,
    sum(d_provider_cost) AS provider_cost,
    quantilesStateIf(0.5, 0.95)(d_latency, toUInt8(d_requests)) AS latency_ms
FROM
(
    SELECT
        toStartOfHour(ts) AS hour, feature, customer, model, provider, env, currency,
        toInt64(prev_version = 0) AS d_requests,
        toInt64(prev_version = 0 AND (status >= 400 OR status = 0)) AS d_errors,
        if(prev_version = 0, toInt64(input_tokens), 0) AS d_input_tokens,
        if(prev_version = 0, toInt64(cached_input_tokens), 0) AS d_cached_input_tokens,
        if(prev_version = 0, toInt64(cache_write_tokens), 0) AS d_cache_write_tokens,
        if(prev_version = 0, toInt64(output_tokens), 0) AS d_output_tokens,
        if(prev_version = 0, toInt64(reasoning_tokens), 0) AS d_reasoning_tokens,
        if(prev_version = 0, toInt64(audio_input_tokens), 0) AS d_audio_input_tokens,
        if(prev_version = 0, toInt64(audio_output_tokens), 0) AS d_audio_output_tokens,
        if(prev_version = 0, toInt64(image_tokens), 0) AS d_image_tokens,
        estimated_cost - prev_estimated_cost AS d_cost,
        ifNull(provider_cost, toDecimal128(0, 12)) - prev_provider_cost AS d_provider_cost,
        latency_ms AS d_latency
    FROM llm_requests
)
GROUP BY hour, feature, customer, model, provider, env, currency;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_customer_mv TO llm_usage_daily_customer AS
SELECT
    day, customer, currency,
    sum(d_requests) AS requests,
    sum(d_errors) AS error_requests,
    sum(d_input_tokens) AS input_tokens,
    sum(d_cached_input_tokens) AS cached_input_tokens,
    sum(d_cache_write_tokens) AS cache_write_tokens,
    sum(d_output_tokens) AS output_tokens,
    sum(d_reasoning_tokens) AS reasoning_tokens,
    sum(d_audio_input_tokens) AS audio_input_tokens,
    sum(d_audio_output_tokens) AS audio_output_tokens,
    sum(d_image_tokens) AS image_tokens,
    sum(d_cost) AS estimated_cost,
    sum(d_provider_cost) AS provider_cost,
    quantilesStateIf(0.5, 0.95)(d_latency, toUInt8(d_requests)) AS latency_ms
FROM
(
    SELECT
        toDate(ts) AS day, customer, currency,
        toInt64(prev_version = 0) AS d_requests,
        toInt64(prev_version = 0 AND (status >= 400 OR status = 0)) AS d_errors,
        if(prev_version = 0, toInt64(input_tokens), 0) AS d_input_tokens,
        if(prev_version = 0, toInt64(cached_input_tokens), 0) AS d_cached_input_tokens,
        if(prev_version = 0, toInt64(cache_write_tokens), 0) AS d_cache_write_tokens,
        if(prev_version = 0, toInt64(output_tokens), 0) AS d_output_tokens,
        if(prev_version = 0, toInt64(reasoning_tokens), 0) AS d_reasoning_tokens,
        if(prev_version = 0, toInt64(audio_input_tokens), 0) AS d_audio_input_tokens,
        if(prev_version = 0, toInt64(audio_output_tokens), 0) AS d_audio_output_tokens,
        if(prev_version = 0, toInt64(image_tokens), 0) AS d_image_tokens,
        estimated_cost - prev_estimated_cost AS d_cost,
        ifNull(provider_cost, toDecimal128(0, 12)) - prev_provider_cost AS d_provider_cost,
        latency_ms AS d_latency
    FROM llm_requests
)
GROUP BY day, customer, currency;
