-- OpenCost allocation windows of GPU clusters, one row per (window, allocation), with the GPU fields and the
-- self-hosted deployment the allocation was matched to (tollgate.model_deployments.opencost_selector). Synced like
-- the ledger: staged, then swapped per (source_id, billing_period) partition, so a re-sync replaces a month whole.
CREATE TABLE IF NOT EXISTS gpu_allocations
(
    source_id String,
    billing_period Date,
    sync_run_id String,
    ingest_version UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    cluster LowCardinality(String),
    aggregate LowCardinality(String),
    name String,
    namespace String,
    pod String,
    controller String,
    labels Map(String, String),
    is_idle Bool,
    is_unallocated Bool,
    minutes Decimal(38, 12),
    gpu_count Decimal(38, 12),
    gpu_request_average Decimal(38, 12),
    gpu_usage_average Decimal(38, 12),
    gpu_hours Decimal(38, 12),
    gpu_cost Decimal(38, 12),
    gpu_cost_adjustment Decimal(38, 12),
    gpu_cost_idle Decimal(38, 12),
    gpu_efficiency Decimal(38, 12),
    cpu_cost Decimal(38, 12),
    ram_cost Decimal(38, 12),
    total_cost Decimal(38, 12),
    currency LowCardinality(String),
    deployment_id String,
    model LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY (source_id, billing_period)
ORDER BY (toDate(window_start), cluster, name);
CREATE TABLE IF NOT EXISTS gpu_allocations_staging AS gpu_allocations;
