-- One row per proxied request (attempts folded in). ReplacingMergeTree(version) dedupes re-sent events and
-- restated costs on request_id; the sorting key starts with the day and the attribution keys every
-- dashboard query filters and groups on, and ends with request_id so duplicates collapse.
CREATE TABLE IF NOT EXISTS llm_requests
(
    ts DateTime64(3, 'UTC'),
    request_id String,
    feature LowCardinality(String),
    customer String,
    team LowCardinality(String),
    env LowCardinality(String),
    virtual_key LowCardinality(String),
    provider LowCardinality(String),
    provider_account LowCardinality(String),
    region LowCardinality(String),
    model LowCardinality(String),
    requested_model LowCardinality(String),
    rule_set_version UInt32,
    rule_id String,
    variant LowCardinality(String),
    attempt UInt8,
    fallback_from LowCardinality(String),
    status UInt16,
    error_class LowCardinality(String),
    input_tokens UInt64,
    cached_input_tokens UInt64,
    cache_write_tokens UInt64,
    output_tokens UInt64,
    reasoning_tokens UInt64,
    audio_input_tokens UInt64,
    audio_output_tokens UInt64,
    image_tokens UInt64,
    usage_source LowCardinality(String),
    streamed Bool,
    ttft_ms Nullable(UInt32),
    latency_ms UInt32,
    estimated_cost Decimal(38, 12),
    provider_cost Nullable(Decimal(38, 12)),
    price_ref String,
    currency LowCardinality(String),
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(ts)
ORDER BY (toDate(ts), feature, customer, model, request_id);
