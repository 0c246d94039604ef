-- Back to 0007's shape: quantilesBFloat16 latency states, rebuilt from the deduplicated raw rows like 0007 did.
DROP VIEW IF EXISTS llm_usage_hourly_mv;
DROP VIEW IF EXISTS llm_usage_daily_mv;
DROP VIEW IF EXISTS llm_usage_daily_customer_mv;
DROP TABLE IF EXISTS llm_usage_hourly;
DROP TABLE IF EXISTS llm_usage_daily;
DROP TABLE IF EXISTS llm_usage_daily_customer;
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
    latency_ms AggregateFunction(quantilesBFloat16If(0.5, 0.95), UInt32, UInt8)
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
    latency_ms AggregateFunction(quantilesBFloat16If(0.5, 0.95), UInt32, UInt8)
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
    quantilesBFloat16StateIf(0.5, 0.95)(d_latency, toUInt8(d_requests)) AS latency_ms
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
    quantilesBFloat16StateIf(0.5, 0.95)(d_latency, toUInt8(d_requests)) AS latency_ms
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

CREATE TABLE IF NOT EXISTS llm_usage_daily
(
    day Date,
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
    latency_ms AggregateFunction(quantilesBFloat16If(0.5, 0.95), UInt32, UInt8)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, feature, customer, model, provider, env, currency);

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_mv TO llm_usage_daily AS
SELECT
    day, feature, customer, model, provider, env, currency,
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
    quantilesBFloat16StateIf(0.5, 0.95)(d_latency, toUInt8(d_requests)) AS latency_ms
FROM
(
    SELECT
        toDate(ts) AS day, feature, customer, model, provider, env, currency,
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
GROUP BY day, feature, customer, model, provider, env, currency;

INSERT INTO llm_usage_hourly
SELECT toStartOfHour(ts) AS hour, feature, customer, model, provider, env, currency,
    count(), countIf(status >= 400 OR status = 0),
    sum(toInt64(input_tokens)), sum(toInt64(cached_input_tokens)), sum(toInt64(cache_write_tokens)), sum(toInt64(output_tokens)), sum(toInt64(reasoning_tokens)), sum(toInt64(audio_input_tokens)), sum(toInt64(audio_output_tokens)), sum(toInt64(image_tokens)),
    sum(estimated_cost), sum(ifNull(provider_cost, toDecimal128(0, 12))),
    quantilesBFloat16StateIf(0.5, 0.95)(latency_ms, toUInt8(1))
FROM llm_requests FINAL
GROUP BY hour, feature, customer, model, provider, env, currency;

INSERT INTO llm_usage_daily
SELECT toDate(ts) AS day, feature, customer, model, provider, env, currency,
    count(), countIf(status >= 400 OR status = 0),
    sum(toInt64(input_tokens)), sum(toInt64(cached_input_tokens)), sum(toInt64(cache_write_tokens)), sum(toInt64(output_tokens)), sum(toInt64(reasoning_tokens)), sum(toInt64(audio_input_tokens)), sum(toInt64(audio_output_tokens)), sum(toInt64(image_tokens)),
    sum(estimated_cost), sum(ifNull(provider_cost, toDecimal128(0, 12))),
    quantilesBFloat16StateIf(0.5, 0.95)(latency_ms, toUInt8(1))
FROM llm_requests FINAL
GROUP BY day, feature, customer, model, provider, env, currency;

INSERT INTO llm_usage_daily_customer
SELECT toDate(ts) AS day, customer, currency,
    count(), countIf(status >= 400 OR status = 0),
    sum(toInt64(input_tokens)), sum(toInt64(cached_input_tokens)), sum(toInt64(cache_write_tokens)), sum(toInt64(output_tokens)), sum(toInt64(reasoning_tokens)), sum(toInt64(audio_input_tokens)), sum(toInt64(audio_output_tokens)), sum(toInt64(image_tokens)),
    sum(estimated_cost), sum(ifNull(provider_cost, toDecimal128(0, 12))),
    quantilesBFloat16StateIf(0.5, 0.95)(latency_ms, toUInt8(1))
FROM llm_requests FINAL
GROUP BY day, customer, currency;
