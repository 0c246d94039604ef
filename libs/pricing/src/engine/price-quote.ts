import type { Dec } from '@tollgate/core';

/**
 * Price classes a quote breaks down into. Each is priced on its *leaf* count: the tokens of that class not already
 * priced by a more specific class (e.g. `input` = input_tokens − cached_input − cache_write − audio_input − image when
 * those have their own price; a class without its own price stays in its parent and is charged at the parent's rate).
 */
export const PRICE_CLASSES = [
  'input',
  'cached_input',
  'cache_write',
  'cache_write_5m',
  'cache_write_1h',
  'audio_input',
  'cached_audio_input',
  'image',
  'cached_image',
  'output',
  'reasoning',
  'audio_output',
  'requests',
] as const;
export type PriceClass = (typeof PRICE_CLASSES)[number];

export interface BreakdownLine {
  /** Leaf count priced at this line (for `requests`: 1). */
  tokens: number;
  /** Effective price per million of the class (after tier and discount), as applied to `tokens`. */
  price_per_million: Dec;
  /** tokens × price_per_million / 1e6, exact. */
  cost: Dec;
}

export interface PriceAdjustment {
  kind: 'tier' | 'discount';
  /** Percent taken off (negative = surcharge). */
  percent_off: Dec;
  ref: string;
}

export interface PriceQuote {
  /** Exact sum of the breakdown (no rounding; store it with toMoneyString). */
  cost: Dec;
  currency: string;
  breakdown: Partial<Record<PriceClass, BreakdownLine>>;
  /**
   * What made this price, '+'-joined: the base (`genai-prices@0.1.8:openai/gpt-4o`, `…/o3@2025-06-10` when a dated
   * price row applied, or `override:<uuid>@<revision>`), then any tier (`tier:batch@builtin-50` or an override) and
   * discount (`override:<uuid>@<revision>`). A non-standard tier always appears as `tier:<name>` so a restatement
   * can recover it from the stored ref.
   */
  price_ref: string;
  /** 'override' when any override took part, else 'catalog'. */
  source: 'catalog' | 'override';
  /** Tier applied ('standard' when none was asked). */
  tier: string;
  adjustments: PriceAdjustment[];
}

export interface PriceOptions {
  /** Provider account (org id, Azure resource, AWS account) the request was billed to; selects account overrides. */
  providerAccount?: string;
  /** Service tier: 'standard' (default), 'batch', 'priority', 'flex', or any tier an override defines. */
  tier?: string;
}
