import type { TelemetryEvent } from './telemetry-event.schema';

/**
 * The collector's hot path: recognises a well-formed event with plain property checks (no schema machinery) and
 * returns it exactly as `telemetryEventSchema.parse` would — or `undefined` for anything unusual (a bad field, tags,
 * attempts, a timestamp with an offset, an inconsistent usage), which then goes through the zod schema for the
 * authoritative answer and its error messages. It accepts a strict subset of what the schema accepts; the spec
 * beside it checks that on valid and invalid events alike.
 */
const LABELS = ['feature', 'customer', 'team', 'env', 'virtual_key', 'provider_account', 'region', 'requested_model', 'rule_id', 'fallback_from', 'error_class'] as const;
const TOKENS = [
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'reasoning_tokens',
  'audio_input_tokens',
  'audio_output_tokens',
  'image_tokens',
] as const;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)$/;
const CURRENCY = /^[A-Z]{3}$/;
const U32 = 4_294_967_295;

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const money = (v: unknown) => v === undefined || (typeof v === 'string' && DECIMAL.test(v) && v.replace(/^[-+]?0*/, '').replace('.', '').length <= 38);

export function fastParseTelemetryEvent(input: unknown): TelemetryEvent | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const o = input as Record<string, unknown>;
  const id = o.request_id;
  if (typeof id !== 'string' || id.length < 1 || id.length > 128) return undefined;
  // Only UTC 'Z' timestamps that round-trip through Date exactly (calendar-valid); anything else takes the schema path.
  const ts = o.ts;
  if (typeof ts !== 'string' || ts.length < 20 || ts.length > 24 || ts.charCodeAt(ts.length - 1) !== 90 /* Z */) return undefined;
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString();
  if (iso !== ts && iso !== `${ts.slice(0, -1)}.000Z`) return undefined;
  const labels: Record<string, string> = {};
  for (const key of LABELS) {
    const v = o[key];
    if (v === undefined) labels[key] = '';
    else if (typeof v === 'string' && v.length <= 256) labels[key] = v;
    else return undefined;
  }
  const provider = o.provider;
  const model = o.model;
  if (typeof provider !== 'string' || provider.length < 1 || provider.length > 256) return undefined;
  if (typeof model !== 'string' || model.length < 1 || model.length > 256) return undefined;
  const tokens: Record<string, number> = {};
  for (const key of TOKENS) {
    const v = o[key];
    if (v === undefined) tokens[key] = 0;
    else if (isInt(v, 0, Number.MAX_SAFE_INTEGER)) tokens[key] = v;
    else return undefined;
  }
  const t = tokens;
  if (
    t.cached_input_tokens + t.cache_write_tokens > t.input_tokens ||
    t.cache_write_1h_tokens > t.cache_write_tokens ||
    t.audio_input_tokens > t.input_tokens ||
    t.image_tokens > t.input_tokens ||
    t.reasoning_tokens + t.audio_output_tokens > t.output_tokens
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
  const priceRef = o.price_ref;
  if (!isInt(rsv, 0, U32) || !isInt(attempt, 1, 255) || !isInt(status, 0, 999) || !isInt(latency, 0, U32)) return undefined;
  if (variant !== '' && variant !== 'control' && variant !== 'canary') return undefined;
  if (usageSource !== 'provider' && usageSource !== 'estimated') return undefined;
  if (typeof tier !== 'string' || tier.length < 1 || tier.length > 64) return undefined;
  if (typeof streamed !== 'boolean') return undefined;
  if (ttft !== undefined && ttft !== null && !isInt(ttft, 0, U32)) return undefined;
  if (!money(o.estimated_cost) || !money(o.provider_cost)) return undefined;
  if (priceRef !== undefined && (typeof priceRef !== 'string' || priceRef.length > 256)) return undefined;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return undefined;
  if (o.tags !== undefined || o.attempts !== undefined) return undefined;
  const event = {
    request_id: id,
    ts,
    ...labels,
    provider,
    model,
    rule_set_version: rsv,
    variant,
    attempt,
    status,
    ...tokens,
    usage_source: usageSource,
    service_tier: tier,
    streamed,
    latency_ms: latency,
    currency,
    tags: {},
    attempts: [],
  } as Record<string, unknown>;
  // Optional keys are absent (not undefined) in the schema's output when absent in the input.
  if (ttft !== undefined) event.ttft_ms = ttft;
  if (o.estimated_cost !== undefined) event.estimated_cost = o.estimated_cost;
  if (o.provider_cost !== undefined) event.provider_cost = o.provider_cost;
  if (priceRef !== undefined) event.price_ref = priceRef;
  return event as TelemetryEvent;
}
