import { setTimeout as delay } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { MONEY_SCALE, NotFoundError } from '@tollgate/core';
import { AttemptSummary } from '../events/telemetry-event.schema';
import { REQUEST_FILTERS, RequestListQuery, encodeCursor } from './request-list.query';
import { REQUEST_TOKEN_CLASSES, RequestList, RequestRecord } from './request-record';

/** Which teams' requests the caller may see: null for every team's (a principal without a team limit). */
export type TeamLimit = readonly string[] | null;

export interface LookupOptions {
  teams?: TeamLimit;
  /** Wait up to this long for a request not stored yet (the proxy delivers telemetry about once a second). */
  waitMs?: number;
}

// Every column of a record, formatted by ClickHouse: money as fixed 12-place strings, ts as stored (UTC; under another
// name, since an alias named ts would replace the column in WHERE).
const RECORD_COLUMNS = `request_id, toString(ts) AS stored_ts, feature, customer, team, env, virtual_key, provider, provider_account, region,
  model, requested_model, status, error_class, ${REQUEST_TOKEN_CLASSES.join(', ')},
  toDecimalString(estimated_cost, ${MONEY_SCALE}) AS estimated_cost, currency, price_ref,
  if(isNull(provider_cost), NULL, toDecimalString(assumeNotNull(provider_cost), ${MONEY_SCALE})) AS provider_cost,
  usage_source, service_tier, streamed, latency_ms, ttft_ms, attempt, fallback_from, attempts, tags, rule_set_version, rule_id, variant, version`;

/**
 * The requests whose sorting-key prefix (day, feature, customer, model) is that of one of `ids`, found in projection
 * `by_request_id` (migration 0017). With `request_id IN ids` beside it, the read goes through the whole primary key:
 * a granule or two per part instead of every row's request_id.
 */
export const REQUEST_KEYS_BY_ID_SQL = 'SELECT toDate(ts), feature, customer, model FROM llm_requests WHERE request_id IN {ids:Array(String)}';
const BY_ID = `(toDate(ts), feature, customer, model) IN (${REQUEST_KEYS_BY_ID_SQL}) AND request_id IN {ids:Array(String)}`;

/** The latest version of one request (ReplacingMergeTree keeps older versions until a merge). */
export const REQUEST_BY_ID_SQL = `SELECT ${RECORD_COLUMNS} FROM llm_requests WHERE ${BY_ID} ORDER BY version DESC LIMIT 1`;

const chTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
const isoTime = (stored: string) => `${stored.replace(' ', 'T')}Z`;

/**
 * Reads stored requests back: one by id (`GET /v1/requests/:id`) and pages of them newest first
 * (`GET /v1/requests`). Both honour a team limit; a request of another team is not found, never forbidden, so a
 * limited caller learns nothing about other teams' ids. Column names come from allowlists, values only as parameters.
 */
export class RequestLookupService {
  constructor(private readonly clickhouse: ClickHouseClient) {}

  /** The latest version of a request, or NotFoundError naming the id (after waiting `waitMs` for it to land). */
  async get(requestId: string, options: LookupOptions = {}): Promise<RequestRecord> {
    const deadline = Date.now() + (options.waitMs ?? 0);
    // A just-served request reaches ClickHouse with the proxy's next telemetry delivery: look again until it lands,
    // at short intervals first (one lookup reads a few granules).
    for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
      const record = await this.readLatest(requestId);
      if (record && visible(record, options.teams ?? null)) return record;
      const left = deadline - Date.now();
      if (left <= 0) throw new NotFoundError('request', requestId);
      await delay(Math.min(pause, left));
    }
  }

  private async readLatest(requestId: string): Promise<RequestRecord | undefined> {
    const result = await this.clickhouse.query({ query: REQUEST_BY_ID_SQL, query_params: { ids: [requestId] }, format: 'JSONEachRow' });
    const [row] = await result.json<StoredRow>();
    return row ? toRecord(row) : undefined;
  }

  /** One page, newest first, keyset-paginated on (ts, request_id): stable while new requests arrive. */
  async list(query: RequestListQuery, teams: TeamLimit = null): Promise<RequestList> {
    const { sql, params } = requestListSql(query, teams);
    const result = await this.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    const rows = await result.json<StoredRow>();
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const last = page.at(-1);
    return {
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      rows: page.map(toRecord),
      next_cursor: more && last ? encodeCursor(last.stored_ts, last.request_id) : null,
    };
  }
}

function visible(record: RequestRecord, teams: TeamLimit): boolean {
  return teams === null || teams.includes(record.attribution.team);
}

/** The SQL of one page: the window's latest row versions (FINAL), filtered, newest first, one row beyond the page. */
export function requestListSql(query: RequestListQuery, teams: TeamLimit): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { from: chTime(query.from), to: chTime(query.to), limit: query.limit + 1 };
  const where = [`ts >= {from:DateTime64(3, 'UTC')}`, `ts < {to:DateTime64(3, 'UTC')}`];
  for (const name of REQUEST_FILTERS) {
    const values = query.filters[name];
    if (!values) continue;
    if (name === 'request_id') {
      where.push(BY_ID);
      params.ids = values;
      continue;
    }
    // `name` is from the allowlist; the values travel as a parameter.
    where.push(`${name} IN {f_${name}:Array(String)}`);
    params[`f_${name}`] = values;
  }
  const status = [
    ...(query.statuses.length ? ['status IN {statuses:Array(UInt16)}'] : []),
    ...(query.errors ? ['(status >= 400 OR status = 0)'] : []),
  ];
  if (status.length) where.push(`(${status.join(' OR ')})`);
  if (query.statuses.length) params.statuses = query.statuses;
  if (teams !== null) {
    where.push('team IN {teams:Array(String)}');
    params.teams = teams;
  }
  if (query.after) {
    where.push(`(ts, request_id) < ({after_ts:DateTime64(3, 'UTC')}, {after_id:String})`);
    params.after_ts = query.after.ts;
    params.after_id = query.after.requestId;
  }
  const sql = `SELECT ${RECORD_COLUMNS} FROM llm_requests FINAL WHERE ${where.join(' AND ')} ORDER BY ts DESC, request_id DESC LIMIT {limit:UInt32}`;
  return { sql, params };
}

/** A row as JSONEachRow gives it (64-bit integers as strings). */
type StoredRow = Record<(typeof REQUEST_TOKEN_CLASSES)[number] | 'latency_ms' | 'ttft_ms' | 'status' | 'attempt' | 'rule_set_version' | 'version', string | number | null> & {
  request_id: string;
  stored_ts: string;
  feature: string;
  customer: string;
  team: string;
  env: string;
  virtual_key: string;
  provider: string;
  provider_account: string;
  region: string;
  model: string;
  requested_model: string;
  error_class: string;
  estimated_cost: string;
  currency: string;
  price_ref: string;
  provider_cost: string | null;
  usage_source: 'provider' | 'estimated';
  service_tier: string;
  streamed: boolean;
  fallback_from: string;
  attempts: string;
  tags: Record<string, string>;
  rule_id: string;
  variant: string;
};

function toRecord(row: StoredRow): RequestRecord {
  const n = (v: string | number | null) => Number(v);
  return {
    request_id: row.request_id,
    ts: isoTime(row.stored_ts),
    attribution: { feature: row.feature, customer: row.customer, team: row.team, env: row.env, virtual_key: row.virtual_key },
    provider: row.provider,
    provider_account: row.provider_account,
    region: row.region,
    model: row.model,
    requested_model: row.requested_model,
    status: n(row.status),
    error_class: row.error_class,
    tokens: Object.fromEntries(REQUEST_TOKEN_CLASSES.map((c) => [c, n(row[c])])) as RequestRecord['tokens'],
    estimated_cost: row.estimated_cost,
    currency: row.currency,
    price_ref: row.price_ref,
    provider_cost: row.provider_cost,
    usage_source: row.usage_source,
    service_tier: row.service_tier,
    streamed: Boolean(row.streamed),
    latency_ms: n(row.latency_ms),
    ttft_ms: row.ttft_ms === null ? null : n(row.ttft_ms),
    attempt: n(row.attempt),
    fallback_from: row.fallback_from,
    // The writer stores the proxy's attempts list as JSON text, '' for a single attempt.
    attempts: row.attempts ? (JSON.parse(row.attempts) as AttemptSummary[]) : [],
    tags: row.tags,
    rule_set_version: n(row.rule_set_version),
    rule_id: row.rule_id,
    variant: row.variant,
    version: n(row.version),
  };
}
