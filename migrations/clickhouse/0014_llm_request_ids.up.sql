-- Every stored request_id with its latest version, money and ts, sorted by request_id: what the writer's de-dup
-- lookup asks, whatever the ts of the event it checks. llm_requests is sorted by (day, feature, customer, model,
-- request_id), so an event re-sent with another ts (1 ms or a day later) fell outside the lookup's ts window, was
-- written as a new request and counted twice by every rollup. Here one request_id is one key: the writer finds it and
-- drops the re-send (or, for a higher version, restates it at the stored ts).
-- Not partitioned by time: a lookup would consult every month's index. A small index granularity keeps a point
-- lookup of a batch's ids to few rows per id.
CREATE TABLE IF NOT EXISTS llm_request_ids
(
    request_id String,
    ts DateTime64(3, 'UTC'),
    version UInt64,
    estimated_cost Decimal(38, 12),
    provider_cost Decimal(38, 12)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY request_id
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_request_ids_mv TO llm_request_ids AS
SELECT request_id, ts, version, estimated_cost, ifNull(provider_cost, toDecimal128(0, 12)) AS provider_cost
FROM llm_requests;

-- Requests stored before: inserting them twice (a file re-run) only adds rows the engine collapses.
INSERT INTO llm_request_ids
SELECT request_id, ts, version, estimated_cost, ifNull(provider_cost, toDecimal128(0, 12)) AS provider_cost
FROM llm_requests FINAL;
