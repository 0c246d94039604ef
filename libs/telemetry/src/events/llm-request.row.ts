import { Dec, MONEY_SCALE, parseDecimal, toMoneyString } from '@tollgate/core';
import { UNPRICED_REF, type PriceQuote, type TokenUsage } from '@tollgate/pricing';
import { TelemetryEvent } from './telemetry-event.schema';

/** The part of a pricing quote a row needs; kept structural so the row mapping does not depend on how it was made. */
export type PriceQuoteLike = Pick<PriceQuote, 'cost' | 'currency' | 'price_ref'>;

/**
 * One `llm_requests` row as sent to ClickHouse (money as fixed-point strings). Its token columns are pricing's
 * `TokenUsage`, every count present.
 */
export interface LlmRequestRow extends Required<TokenUsage> {
  ts: string;
  request_id: string;
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
  rule_set_version: number;
  rule_id: string;
  variant: string;
  attempt: number;
  fallback_from: string;
  status: number;
  error_class: string;
  usage_source: string;
  service_tier: string;
  streamed: boolean;
  ttft_ms: number | null;
  latency_ms: number;
  estimated_cost: string;
  provider_cost: string | null;
  price_ref: string;
  currency: string;
  tags: Record<string, string>;
  attempts: string;
  /** Row version for ReplacingMergeTree; a higher version supersedes (restatement). */
  version: number;
  /**
   * Set only on a row that supersedes a stored version of the same request: the superseded version and its money.
   * Rollups add `estimated_cost - prev_estimated_cost` for such rows instead of counting a new request.
   */
  prev_version: number;
  prev_estimated_cost: string;
  prev_provider_cost: string;
}

const PLAIN_MONEY = /^(\d{1,26})(?:\.(\d{0,12}))?$/;

/** A decimal string at the storage scale; plain strings with at most 12 decimals are padded without Decimal arithmetic (hot path). */
export function moneyString(value: string): string {
  const m = PLAIN_MONEY.exec(value);
  if (m) return `${m[1].replace(/^0+(?=\d)/, '')}.${(m[2] ?? '').padEnd(MONEY_SCALE, '0')}`;
  return toMoneyString(parseDecimal(value));
}

/** ClickHouse DateTime64(3) text in UTC: `YYYY-MM-DD hh:mm:ss.mmm`. */
export function toClickHouseTime(iso: string | Date): string {
  // Already UTC with milliseconds (the usual case): reshape the text, no Date round trip.
  if (typeof iso === 'string' && iso.length === 24 && iso[23] === 'Z' && iso[10] === 'T') return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a timestamp: ${String(iso)}`);
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Maps a validated event to its row. Cost precedence: the event's own `estimated_cost` (the proxy priced it),
 * else the quote (priced on arrival), else 0 with price_ref UNPRICED_REF. A provider-reported cost is kept beside
 * the estimate, never instead of it.
 */
export function toLlmRequestRow(event: TelemetryEvent, quote?: PriceQuoteLike, version = 1): LlmRequestRow {
  let estimated: string;
  let priceRef: string;
  let currency = event.currency;
  if (event.estimated_cost !== undefined) {
    estimated = moneyString(event.estimated_cost);
    priceRef = event.price_ref ?? '';
  } else if (quote) {
    estimated = toMoneyString(quote.cost);
    priceRef = quote.price_ref;
    currency = quote.currency;
  } else {
    estimated = toMoneyString(new Dec(0));
    priceRef = UNPRICED_REF;
  }
  return {
    ts: toClickHouseTime(event.ts),
    request_id: event.request_id,
    feature: event.feature,
    customer: event.customer,
    team: event.team,
    env: event.env,
    virtual_key: event.virtual_key,
    provider: event.provider,
    provider_account: event.provider_account,
    region: event.region,
    model: event.model,
    requested_model: event.requested_model || event.model,
    rule_set_version: event.rule_set_version,
    rule_id: event.rule_id,
    variant: event.variant,
    attempt: event.attempt,
    fallback_from: event.fallback_from,
    status: event.status,
    error_class: event.error_class,
    input_tokens: event.input_tokens,
    cached_input_tokens: event.cached_input_tokens,
    cache_write_tokens: event.cache_write_tokens,
    cache_write_1h_tokens: event.cache_write_1h_tokens,
    output_tokens: event.output_tokens,
    reasoning_tokens: event.reasoning_tokens,
    audio_input_tokens: event.audio_input_tokens,
    audio_output_tokens: event.audio_output_tokens,
    image_tokens: event.image_tokens,
    usage_source: event.usage_source,
    service_tier: event.service_tier,
    streamed: event.streamed,
    ttft_ms: event.ttft_ms ?? null,
    latency_ms: event.latency_ms,
    estimated_cost: estimated,
    provider_cost: event.provider_cost === undefined ? null : moneyString(event.provider_cost),
    price_ref: priceRef,
    currency,
    tags: event.tags,
    attempts: event.attempts.length ? JSON.stringify(event.attempts) : '',
    version,
    prev_version: 0,
    prev_estimated_cost: '0',
    prev_provider_cost: '0',
  };
}
