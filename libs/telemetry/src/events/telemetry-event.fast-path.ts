import type { TelemetryEvent } from './telemetry-event.schema';

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)$/;
const CURRENCY = /^[A-Z]{3}$/;
const U32 = 4_294_967_295;

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const money = (v: unknown) => v === undefined || (typeof v === 'string' && DECIMAL.test(v) && v.replace(/^[-+]?0*/, '').replace('.', '').length <= 38);
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
const count = (v: unknown): number => (v === undefined ? 0 : isInt(v, 0, Number.MAX_SAFE_INTEGER) ? v : -1);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The digit at `i` as a number, or NaN if it is not a digit. */
const digit = (s: string, i: number) => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};

/**
 * `YYYY-MM-DDThh:mm:ss[.mmm]Z` naming a real instant — exactly the UTC strings that survive a round trip through
 * Date (checked character by character: parsing a Date per event was a tenth of the collector's time). Anything else
 * takes the schema path.
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
  if (!(month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && year >= 0)) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0);
}

/**
 * The collector's hot path: recognises a well-formed event with plain property checks (no schema machinery) and
 * returns it exactly as `telemetryEventSchema.parse` would — or `undefined` for anything unusual (a bad field, tags
 * that are not plain strings, attempts, a timestamp with an offset, an inconsistent usage), which then goes through
 * the zod schema for the authoritative answer and its error messages. It accepts a strict subset of what the schema accepts; the spec
 * beside it checks that on valid and invalid events alike.
 *
 * Every property is read by name and the result built as one literal: this runs on each collected event, and keyed
 * reads through a list of names (or objects grown key by key) are several times slower.
 */
export function fastParseTelemetryEvent(input: unknown): TelemetryEvent | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const o = input as Record<string, unknown>;
  const id = o.request_id;
  if (typeof id !== 'string' || id.length < 1 || id.length > 128) return undefined;
  const ts = o.ts;
  if (!plainUtcTimestamp(ts)) return undefined;
  const provider = o.provider;
  const model = o.model;
  if (typeof provider !== 'string' || provider.length < 1 || provider.length > 256) return undefined;
  if (typeof model !== 'string' || model.length < 1 || model.length > 256) return undefined;
  const feature = label(o.feature);
  const customer = label(o.customer);
  const team = label(o.team);
  const env = label(o.env);
  const virtualKey = label(o.virtual_key);
  const providerAccount = label(o.provider_account);
  const region = label(o.region);
  const requestedModel = label(o.requested_model);
  const ruleId = label(o.rule_id);
  const fallbackFrom = label(o.fallback_from);
  const errorClass = label(o.error_class);
  if (
    feature === null || customer === null || team === null || env === null || virtualKey === null || providerAccount === null ||
    region === null || requestedModel === null || ruleId === null || fallbackFrom === null || errorClass === null
  ) {
    return undefined;
  }
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
    return undefined;
  }
  if (
    cached_input_tokens + cache_write_tokens > input_tokens ||
    cache_write_1h_tokens > cache_write_tokens ||
    audio_input_tokens > input_tokens ||
    image_tokens > input_tokens ||
    reasoning_tokens + audio_output_tokens > output_tokens
  ) {
    return undefined;
  }
  const rsv = o.rule_set_version ?? 0;
  const attempt = o.attempt ?? 1;
  const variant = o.variant ?? '';
  const status = o.status;
  const usageSource = o.usage_source;
  const tier = o.service_tier ?? 'standard';
  const streamed = o.streamed ?? false;
  const ttft = o.ttft_ms;
  const latency = o.latency_ms;
  const currency = o.currency ?? 'USD';
  const estimatedCost = o.estimated_cost;
  const providerCost = o.provider_cost;
  const priceRef = o.price_ref;
  if (!isInt(rsv, 0, U32) || !isInt(attempt, 1, 255) || !isInt(status, 0, 999) || !isInt(latency, 0, U32)) return undefined;
  if (variant !== '' && variant !== 'control' && variant !== 'canary') return undefined;
  if (usageSource !== 'provider' && usageSource !== 'estimated') return undefined;
  if (typeof tier !== 'string' || tier.length < 1 || tier.length > 64) return undefined;
  if (typeof streamed !== 'boolean') return undefined;
  if (ttft !== undefined && ttft !== null && !isInt(ttft, 0, U32)) return undefined;
  if (!money(estimatedCost) || !money(providerCost)) return undefined;
  if (priceRef !== undefined && (typeof priceRef !== 'string' || priceRef.length > 256)) return undefined;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return undefined;
  if (o.attempts !== undefined) return undefined;
  const tags = plainTags(o.tags);
  if (tags === null) return undefined;
  const event: TelemetryEvent = {
    request_id: id,
    ts,
    feature,
    customer,
    team,
    env,
    virtual_key: virtualKey,
    provider,
    provider_account: providerAccount,
    region,
    model,
    requested_model: requestedModel,
    rule_set_version: rsv,
    rule_id: ruleId,
    variant,
    attempt,
    fallback_from: fallbackFrom,
    status,
    error_class: errorClass,
    input_tokens,
    cached_input_tokens,
    cache_write_tokens,
    cache_write_1h_tokens,
    output_tokens,
    reasoning_tokens,
    audio_input_tokens,
    audio_output_tokens,
    image_tokens,
    usage_source: usageSource,
    service_tier: tier,
    streamed,
    latency_ms: latency,
    currency,
    tags,
    attempts: [],
  };
  // Optional keys are absent (not undefined) in the schema's output when absent in the input.
  if (ttft !== undefined) event.ttft_ms = ttft as number | null;
  if (estimatedCost !== undefined) event.estimated_cost = estimatedCost as string;
  if (providerCost !== undefined) event.provider_cost = providerCost as string;
  if (priceRef !== undefined) event.price_ref = priceRef;
  return event;
}
