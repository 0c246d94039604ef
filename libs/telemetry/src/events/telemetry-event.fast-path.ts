import { MAX_EVENT_TOKENS, MAX_MONEY_INTEGER_DIGITS, maxEventTsMs, moneyIntegerDigits } from './telemetry-event.bounds';
import type { TelemetryEvent } from './telemetry-event.schema';

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)$/;
const CURRENCY = /^[A-Z]{3}$/;
const U32 = 4_294_967_295;

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const money = (v: unknown) =>
  v === undefined || (typeof v === 'string' && DECIMAL.test(v) && v.replace(/^[-+]?0*/, '').replace('.', '').length <= 38 && moneyIntegerDigits(v) <= MAX_MONEY_INTEGER_DIGITS);
/** A label: absent means '' (the schema's default); `null` marks one the fast path must leave to the schema. */
const label = (v: unknown): string | null => (v === undefined ? '' : typeof v === 'string' && v.length <= 256 ? v : null);
/**
 * Tags as the proxy sends them (`{ served_model: '…' }`): a plain object of short string keys and string values, copied
 * as the schema's record would. `null` for anything else (or for a key JSON could have smuggled in as `__proto__`).
 */
function plainTags(v: unknown): Record<string, string> | null {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return null;
  const tags: Record<string, string> = {};
  for (const key in v) {
    if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
    const value = (v as Record<string, unknown>)[key];
    if (key.length > 256 || key === '__proto__' || typeof value !== 'string' || value.length > 1024) return null;
    tags[key] = value;
  }
  return tags;
}
/** A token count: absent means 0; -1 marks one the fast path must leave to the schema. */
const count = (v: unknown): number => (v === undefined ? 0 : isInt(v, 0, MAX_EVENT_TOKENS) ? v : -1);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The digit at `i` as a number, or NaN if it is not a digit. */
const digit = (s: string, i: number) => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};

/**
 * The last day (`YYYY-MM-DD`, exclusive) the fast path takes, recomputed once a minute: the schema's window ends a day
 * after now, so a timestamp on an earlier UTC date is always inside it; one on that date takes the schema path,
 * which checks to the millisecond.
 */
let fastDayLimit = { day: '', until: 0 };
function fastPathDayLimit(): string {
  const now = Date.now();
  if (now >= fastDayLimit.until) fastDayLimit = { day: new Date(maxEventTsMs(now) - 60_000).toISOString().slice(0, 10), until: now + 60_000 };
  return fastDayLimit.day;
}

/**
 * `YYYY-MM-DDThh:mm:ss[.mmm]Z` naming a real instant — exactly the UTC strings that survive a round trip through
 * Date (checked character by character: parsing a Date per event was a tenth of the collector's time) — from 2020 on
 * and on a date before `fastPathDayLimit()`. Anything else takes the schema path.
 */
function plainUtcTimestamp(ts: unknown): ts is string {
  if (typeof ts !== 'string') return false;
  const n = ts.length;
  if (n === 24) {
    if (ts.charCodeAt(19) !== 46 /* . */ || Number.isNaN(digit(ts, 20) + digit(ts, 21) + digit(ts, 22))) return false;
  } else if (n !== 20) return false;
  if (ts.charCodeAt(n - 1) !== 90 /* Z */ || ts[4] !== '-' || ts[7] !== '-' || ts[10] !== 'T' || ts[13] !== ':' || ts[16] !== ':') return false;
  const year = digit(ts, 0) * 1000 + digit(ts, 1) * 100 + digit(ts, 2) * 10 + digit(ts, 3);
  const month = digit(ts, 5) * 10 + digit(ts, 6);
  const day = digit(ts, 8) * 10 + digit(ts, 9);
  const hour = digit(ts, 11) * 10 + digit(ts, 12);
  const minute = digit(ts, 14) * 10 + digit(ts, 15);
  const second = digit(ts, 17) * 10 + digit(ts, 18);
  // NaN (a non-digit) fails every comparison below.
  if (!(month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && year >= 2020)) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0) && ts.slice(0, 10) < fastPathDayLimit();
}

/**
 * The input once `hasPlainDimensions`, `hasPlainUsage` and `hasPlainOutcome` have passed: each field of the type its
 * check guarantees. A defaulted field may be absent or null (the checks apply its default with `??`, so a null passes
 * as the default).
 */
interface CheckedInput {
  request_id: string;
  ts: string;
  feature?: string;
  customer?: string;
  team?: string;
  env?: string;
  virtual_key?: string;
  provider: string;
  provider_account?: string;
  region?: string;
  model: string;
  requested_model?: string;
  rule_set_version?: number | null;
  rule_id?: string;
  variant?: TelemetryEvent['variant'] | null;
  attempt?: number | null;
  fallback_from?: string;
  status: number;
  error_class?: string;
  input_tokens?: number;
  cached_input_tokens?: number;
  cache_write_tokens?: number;
  cache_write_1h_tokens?: number;
  output_tokens?: number;
  reasoning_tokens?: number;
  audio_input_tokens?: number;
  audio_output_tokens?: number;
  image_tokens?: number;
  usage_source: TelemetryEvent['usage_source'];
  service_tier?: string | null;
  streamed?: boolean | null;
  ttft_ms?: number | null;
  latency_ms: number;
  estimated_cost?: string;
  provider_cost?: string;
  price_ref?: string;
  currency?: string | null;
  tags?: unknown;
}

/**
 * The collector's hot path: recognises a well-formed event with plain property checks (no schema machinery) and
 * returns it exactly as `telemetryEventSchema.parse` would — or `undefined` for anything unusual (a bad field, tags
 * that are not plain strings, attempts, a timestamp with an offset, an inconsistent usage), which then goes through
 * the zod schema for the authoritative answer and its error messages. It accepts a strict subset of what the schema accepts; the spec
 * beside it checks that on valid and invalid events alike.
 *
 * Three checks, then `buildEvent`, each called once per event. Every property is read by name and the result built
 * as one literal once the checks have passed: this runs on each collected event, and keyed reads through a list of
 * names (or objects grown key by key) are several times slower; building the result before checking is slower too.
 */
export function fastParseTelemetryEvent(input: unknown): TelemetryEvent | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const o = input as Record<string, unknown>;
  if (!hasPlainDimensions(o) || !hasPlainUsage(o) || !hasPlainOutcome(o)) return undefined;
  return buildEvent(o as unknown as CheckedInput);
}

/** The request's identity and labels: request_id, a plain UTC ts, provider and model, and every label. */
function hasPlainDimensions(o: Record<string, unknown>): boolean {
  const id = o.request_id;
  if (typeof id !== 'string' || id.length < 1 || id.length > 128) return false;
  if (!plainUtcTimestamp(o.ts)) return false;
  const provider = o.provider;
  const model = o.model;
  if (typeof provider !== 'string' || provider.length < 1 || provider.length > 256) return false;
  if (typeof model !== 'string' || model.length < 1 || model.length > 256) return false;
  return (
    label(o.feature) !== null && label(o.customer) !== null && label(o.team) !== null && label(o.env) !== null &&
    label(o.virtual_key) !== null && label(o.provider_account) !== null && label(o.region) !== null &&
    label(o.requested_model) !== null && label(o.rule_id) !== null && label(o.fallback_from) !== null && label(o.error_class) !== null
  );
}

/** The token counts: each a safe non-negative integer (or absent), and consistent as pricing's `usageProblems` wants. */
function hasPlainUsage(o: Record<string, unknown>): boolean {
  const input_tokens = count(o.input_tokens);
  const cached_input_tokens = count(o.cached_input_tokens);
  const cache_write_tokens = count(o.cache_write_tokens);
  const cache_write_1h_tokens = count(o.cache_write_1h_tokens);
  const output_tokens = count(o.output_tokens);
  const reasoning_tokens = count(o.reasoning_tokens);
  const audio_input_tokens = count(o.audio_input_tokens);
  const audio_output_tokens = count(o.audio_output_tokens);
  const image_tokens = count(o.image_tokens);
  if (
    input_tokens === -1 || cached_input_tokens === -1 || cache_write_tokens === -1 || cache_write_1h_tokens === -1 || output_tokens === -1 ||
    reasoning_tokens === -1 || audio_input_tokens === -1 || audio_output_tokens === -1 || image_tokens === -1
  ) {
    return false;
  }
  return !(
    cached_input_tokens + cache_write_tokens > input_tokens ||
    cache_write_1h_tokens > cache_write_tokens ||
    audio_input_tokens > input_tokens ||
    image_tokens > input_tokens ||
    reasoning_tokens + audio_output_tokens > output_tokens
  );
}

const orDefault = (value: unknown, fallback: unknown): unknown => (value === undefined ? fallback : value);

/** How the request went and what it cost: routing numbers, status, timings, money; no attempts (the schema's job). */
function hasPlainOutcome(o: Record<string, unknown>): boolean {
  // A field with a default takes it only when absent: null is a value the schema refuses, so it fails here too.
  const rsv = orDefault(o.rule_set_version, 0);
  const attempt = orDefault(o.attempt, 1);
  const variant = orDefault(o.variant, '');
  const status = o.status;
  const usageSource = o.usage_source;
  const tier = orDefault(o.service_tier, 'standard');
  const streamed = orDefault(o.streamed, false);
  const ttft = o.ttft_ms;
  const latency = o.latency_ms;
  const currency = orDefault(o.currency, 'USD');
  const priceRef = o.price_ref;
  if (!isInt(rsv, 0, U32) || !isInt(attempt, 1, 255) || !isInt(status, 0, 999) || !isInt(latency, 0, U32)) return false;
  if (variant !== '' && variant !== 'control' && variant !== 'canary') return false;
  if (usageSource !== 'provider' && usageSource !== 'estimated') return false;
  if (typeof tier !== 'string' || tier.length < 1 || tier.length > 64) return false;
  if (typeof streamed !== 'boolean') return false;
  if (ttft !== undefined && ttft !== null && !isInt(ttft, 0, U32)) return false;
  if (!money(o.estimated_cost) || !money(o.provider_cost)) return false;
  if (priceRef !== undefined && (typeof priceRef !== 'string' || priceRef.length > 256)) return false;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return false;
  return o.attempts === undefined;
}

/**
 * The schema's output for a checked input, defaults applied, as one literal; `undefined` when the tags are not plain
 * (checking them is copying them, so it happens here).
 */
function buildEvent(o: CheckedInput): TelemetryEvent | undefined {
  const tags = plainTags(o.tags);
  if (tags === null) return undefined;
  const event: TelemetryEvent = {
    request_id: o.request_id,
    ts: o.ts,
    feature: o.feature ?? '',
    customer: o.customer ?? '',
    team: o.team ?? '',
    env: o.env ?? '',
    virtual_key: o.virtual_key ?? '',
    provider: o.provider,
    provider_account: o.provider_account ?? '',
    region: o.region ?? '',
    model: o.model,
    requested_model: o.requested_model ?? '',
    rule_set_version: o.rule_set_version ?? 0,
    rule_id: o.rule_id ?? '',
    variant: o.variant ?? '',
    attempt: o.attempt ?? 1,
    fallback_from: o.fallback_from ?? '',
    status: o.status,
    error_class: o.error_class ?? '',
    input_tokens: o.input_tokens ?? 0,
    cached_input_tokens: o.cached_input_tokens ?? 0,
    cache_write_tokens: o.cache_write_tokens ?? 0,
    cache_write_1h_tokens: o.cache_write_1h_tokens ?? 0,
    output_tokens: o.output_tokens ?? 0,
    reasoning_tokens: o.reasoning_tokens ?? 0,
    audio_input_tokens: o.audio_input_tokens ?? 0,
    audio_output_tokens: o.audio_output_tokens ?? 0,
    image_tokens: o.image_tokens ?? 0,
    usage_source: o.usage_source,
    service_tier: o.service_tier ?? 'standard',
    streamed: o.streamed ?? false,
    latency_ms: o.latency_ms,
    currency: o.currency ?? 'USD',
    tags,
    attempts: [],
  };
  // Optional keys are absent (not undefined) in the schema's output when absent in the input.
  const { ttft_ms: ttft, estimated_cost: estimatedCost, provider_cost: providerCost, price_ref: priceRef } = o;
  if (ttft !== undefined) event.ttft_ms = ttft;
  if (estimatedCost !== undefined) event.estimated_cost = estimatedCost;
  if (providerCost !== undefined) event.provider_cost = providerCost;
  if (priceRef !== undefined) event.price_ref = priceRef;
  return event;
}
