import { FieldProblem, ValidationError } from '@tollgate/core';
import { telemetryEventSchema } from '../events/telemetry-event.schema';

/** List filters; the keys are also the `llm_requests` column names (an allowlist). */
export const REQUEST_FILTERS = ['feature', 'customer', 'team', 'model', 'provider', 'request_id'] as const;
export type RequestFilter = (typeof REQUEST_FILTERS)[number];

export interface RequestListQuery {
  from: Date;
  to: Date;
  filters: Partial<Record<RequestFilter, string[]>>;
  /** Exact HTTP statuses asked for; `errors` adds every error (>= 400 or 0). */
  statuses: number[];
  errors: boolean;
  limit: number;
  /** The last row of the previous page: this page starts strictly below it in (ts, request_id) order. */
  after?: { ts: string; requestId: string };
}

/** Window when neither bound is given, and the widest a list may span (it reads the window's rows, FINAL). */
export const DEFAULT_WINDOW_HOURS = 24;
export const MAX_WINDOW_DAYS = 31;
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** The query parameters of GET /v1/requests, for the parser and the OpenAPI document alike. */
export const REQUEST_LIST_PARAMETERS: readonly { name: string; description: string; example?: string }[] = [
  { name: 'from', description: `start (inclusive), ISO-8601 date or timestamp with a zone; default: ${DEFAULT_WINDOW_HOURS} h before \`to\``, example: '2026-11-20T00:00:00Z' },
  { name: 'to', description: `end (exclusive); default: now, or ${DEFAULT_WINDOW_HOURS} h after \`from\` when only \`from\` is given. At most ${MAX_WINDOW_DAYS} days after \`from\``, example: '2026-11-21T00:00:00Z' },
  ...REQUEST_FILTERS.map((name) => ({ name, description: `only these ${name} values (repeat the parameter or separate with commas)` })),
  { name: 'status', description: 'only these HTTP statuses (e.g. 200,429); `error` for every error (>= 400, or 0 when no status was received)', example: 'error' },
  { name: 'limit', description: `rows per page, 1–${MAX_PAGE} (default ${DEFAULT_PAGE})`, example: '100' },
  { name: 'cursor', description: 'the `next_cursor` of the previous page' },
];

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const CH_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;

/**
 * A request id as the collector accepts it (the telemetry event's own rule, so every stored id can be looked up).
 * Anything else is a 400 naming `id`: it cannot be stored, so it is not "not found" but malformed.
 */
export function parseRequestId(id: unknown): string {
  const parsed = telemetryEventSchema.shape.request_id.safeParse(id);
  if (!parsed.success) throw ValidationError.field('id', 'a request id is 1 to 128 characters (the x-tollgate-request-id header of the proxy\'s answer)');
  return parsed.data;
}

/** How long a lookup may wait for a request that is not stored yet (`wait_ms`). */
export const MAX_WAIT_MS = 10_000;

export function parseWaitMs(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'string' || !/^\d{1,5}$/.test(value) || Number(value) > MAX_WAIT_MS) {
    throw ValidationError.field('wait_ms', `milliseconds to wait for a request not stored yet, 0–${MAX_WAIT_MS}`);
  }
  return Number(value);
}

function one(params: Record<string, unknown>, name: string, problems: FieldProblem[]): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') return value;
  problems.push({ field: name, reason: 'must be given once' });
  return undefined;
}

function time(value: string | undefined, name: string, problems: FieldProblem[]): Date | undefined {
  if (value === undefined) return undefined;
  const date = ISO.test(value) ? new Date(value.length === 10 ? `${value}T00:00:00Z` : value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) problems.push({ field: name, reason: `'${value}' is not an ISO-8601 date or timestamp with a zone` });
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function list(value: unknown): string[] {
  return [...new Set(([] as unknown[]).concat(value).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean))];
}

/** The opaque cursor of a page: the last row's (ts, request_id), base64url. */
export function encodeCursor(ts: string, requestId: string): string {
  return Buffer.from(JSON.stringify([ts, requestId])).toString('base64url');
}

function decodeCursor(value: string, problems: FieldProblem[]): RequestListQuery['after'] {
  try {
    const [ts, requestId] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown[];
    if (typeof ts === 'string' && CH_TIME.test(ts) && typeof requestId === 'string' && requestId.length <= 128) return { ts, requestId };
  } catch {
    // reported below, as for any cursor this api did not issue
  }
  problems.push({ field: 'cursor', reason: 'not a cursor this api issued (pass next_cursor as it came)' });
  return undefined;
}

/**
 * Parses the query string of GET /v1/requests. Every problem names its parameter; unknown parameters are refused (a
 * misspelt filter must not silently widen the answer). `now` is injectable for the default window.
 */
export function parseRequestListQuery(params: Record<string, unknown>, now = new Date()): RequestListQuery {
  const problems: FieldProblem[] = [];
  const known = new Set(REQUEST_LIST_PARAMETERS.map((p) => p.name));
  for (const key of Object.keys(params)) if (!known.has(key)) problems.push({ field: key, reason: `unknown parameter; expected one of ${[...known].join(', ')}` });
  let from = time(one(params, 'from', problems), 'from', problems);
  let to = time(one(params, 'to', problems), 'to', problems);
  const hour = 3_600_000;
  if (!to) to = from ? new Date(from.getTime() + DEFAULT_WINDOW_HOURS * hour) : now;
  if (!from) from = new Date(to.getTime() - DEFAULT_WINDOW_HOURS * hour);
  if (to <= from) problems.push({ field: 'to', reason: 'must be after from' });
  else if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * 24 * hour) problems.push({ field: 'to', reason: `the window may span at most ${MAX_WINDOW_DAYS} days` });

  const filters: RequestListQuery['filters'] = {};
  for (const name of REQUEST_FILTERS) {
    if (params[name] === undefined) continue;
    const values = list(params[name]);
    if (values.some((v) => v.length > (name === 'request_id' ? 128 : 256))) problems.push({ field: name, reason: 'a value is too long' });
    if (values.length > 1000) problems.push({ field: name, reason: 'at most 1000 values' });
    filters[name] = values;
  }
  const statuses: number[] = [];
  let errors = false;
  for (const s of params.status === undefined ? [] : list(params.status)) {
    if (s === 'error') errors = true;
    else if (/^\d{1,3}$/.test(s)) statuses.push(Number(s));
    else problems.push({ field: 'status', reason: `'${s}' is neither an HTTP status nor 'error'` });
  }
  const limitRaw = one(params, 'limit', problems);
  const limit = limitRaw === undefined ? DEFAULT_PAGE : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) problems.push({ field: 'limit', reason: `an integer from 1 to ${MAX_PAGE}` });
  const cursor = one(params, 'cursor', problems);
  const after = cursor === undefined ? undefined : decodeCursor(cursor, problems);
  if (problems.length) throw ValidationError.of(problems, 'invalid request list query');
  return { from, to, filters, statuses, errors, limit, after };
}
