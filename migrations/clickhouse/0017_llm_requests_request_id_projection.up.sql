-- GET /v1/requests/:id looks one request up by its id alone. request_id is the last column of the sorting key (day,
-- feature, customer, model, request_id), so without help that lookup reads the request_id of every row of the table
-- (FINAL or not: the key's earlier columns are unknown). This projection keeps each request's sorting-key prefix
-- sorted by request_id: the lookup first finds (day, feature, customer, model) for the id in a granule or two of the
-- projection, then reads the row through the full primary key, again a granule or two
-- (libs/telemetry/src/requests/request-lookup.service.ts; EXPLAIN in test/integration/request-lookup.test.ts).
-- deduplicate_merge_projection_mode = 'rebuild' (0012) already tells merges what to do with a projection.
ALTER TABLE llm_requests ADD PROJECTION IF NOT EXISTS by_request_id (SELECT request_id, ts, feature, customer, model ORDER BY request_id);
-- Rows stored before this migration get the projection in the background (a mutation); until then a lookup reads
-- their parts from the table.
ALTER TABLE llm_requests MATERIALIZE PROJECTION by_request_id;
