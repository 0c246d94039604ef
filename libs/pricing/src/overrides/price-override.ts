import { z } from 'zod';
import { Dec, isCurrencyCode } from '@tollgate/core';
import { PRICE_CLASSES, type PriceClass } from '../engine/price-quote';
import type { PriceTable, UnitPrice } from '../engine/price-table';

export const OVERRIDE_KINDS = ['custom_price', 'discount', 'tier', 'gpu_hour'] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];

/** One row of tollgate.price_overrides, as the engine sees it. `effective_to` is exclusive; null = open-ended. */
export interface PriceOverride {
  id: string;
  revision: number;
  provider: string;
  /** null: every model of the provider (discount, tier only). */
  model: string | null;
  /** null: every account of the provider. */
  provider_account: string | null;
  kind: OverrideKind;
  /** custom_price / tier: per-class prices; gpu_hour: the GPU-hour estimate inputs. */
  prices: Record<string, unknown>;
  discount_percent: Dec | null;
  tier: string | null;
  currency: string;
  effective_from: Date;
  effective_to: Date | null;
  note: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const decimalString = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const text = String(v).trim();
    if (!/^\d+(\.\d+)?$/.test(text)) {
      ctx.addIssue({ code: 'custom', message: 'must be a non-negative decimal number, e.g. "2.50"' });
      return z.NEVER;
    }
    return text;
  });

const tieredPrice = z.object({
  base: decimalString,
  tiers: z
    .array(z.object({ start: z.number().int().nonnegative(), price: decimalString }).strict())
    .min(1)
    .refine((t) => t.every((x, i) => i === 0 || x.start > t[i - 1].start), 'tiers must have increasing start'),
}).strict();

/**
 * Prices per million tokens by class, e.g. `{"input": "3", "cached_input": "0.3", "output": "15"}`; a class may be
 * tiered on the request's input tokens: `{"base": "1.25", "tiers": [{"start": 200000, "price": "2.5"}]}`.
 * `input` and `output` are required; a class without its own price is charged at its parent's
 * (cached_input → input, reasoning → output, cache_write_1h → cache_write → input).
 */
export const customPricesSchema = z
  .record(z.string(), z.union([decimalString, tieredPrice]))
  .superRefine((prices, ctx) => {
    for (const key of Object.keys(prices)) {
      if (!(PRICE_CLASSES as readonly string[]).includes(key) || key === 'requests') {
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown price class; use one of ${PRICE_CLASSES.filter((c) => c !== 'requests').join(', ')}` });
      }
    }
    for (const key of ['input', 'output']) if (!(key in prices)) ctx.addIssue({ code: 'custom', path: [key], message: 'required' });
  });

/**
 * Self-hosted deployment priced per GPU-hour. Until OpenCost reports the real cost, a request is charged the share of
 * deployment time it used: input/input_tokens_per_second + output/output_tokens_per_second seconds (throughputs of
 * the whole deployment at its usual batch size), at gpu_hourly_cost × gpu_count per hour, divided by utilization so
 * idle time is spread over the tokens served.
 */
export const gpuHourSchema = z
  .object({
    gpu_hourly_cost: decimalString,
    gpu_count: z.number().int().positive(),
    input_tokens_per_second: z.number().positive(),
    output_tokens_per_second: z.number().positive(),
    utilization: decimalString.refine((u) => Number(u) > 0 && Number(u) <= 1, 'must be in (0, 1]').default('1'),
  })
  .strict();
export type GpuHourEstimate = z.infer<typeof gpuHourSchema>;

const unit = (value: string | z.infer<typeof tieredPrice>): UnitPrice =>
  typeof value === 'string'
    ? { base: new Dec(value), tiers: [] }
    : { base: new Dec(value.base), tiers: value.tiers.map((t) => ({ start: t.start, price: new Dec(t.price) })) };

/** Price table of a custom_price (or a tier override with prices). */
export function customPriceTable(prices: Record<string, unknown>): PriceTable {
  const parsed = customPricesSchema.parse(prices);
  const table: PriceTable = {};
  for (const [cls, value] of Object.entries(parsed)) table[cls as PriceClass] = unit(value);
  return table;
}

/** Per-token equivalent of a GPU-hour estimate (see gpuHourSchema). */
export function gpuHourTable(prices: Record<string, unknown>): PriceTable {
  const e = gpuHourSchema.parse(prices);
  const perSecond = new Dec(e.gpu_hourly_cost).times(e.gpu_count).dividedBy(3600).dividedBy(new Dec(e.utilization));
  const perMillion = (tokensPerSecond: number) => perSecond.dividedBy(new Dec(String(tokensPerSecond))).times(1_000_000);
  return { input: { base: perMillion(e.input_tokens_per_second), tiers: [] }, output: { base: perMillion(e.output_tokens_per_second), tiers: [] } };
}

export const overrideRef = (o: Pick<PriceOverride, 'id' | 'revision'>) => `override:${o.id}@${o.revision}`;

export const currencySchema = z.string().refine(isCurrencyCode, 'must be a 3-letter ISO 4217 code like USD');
