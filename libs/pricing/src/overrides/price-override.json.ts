import { z } from 'zod';
import { Dec, parseOrThrow } from '@tollgate/core';
import { OVERRIDE_KINDS, overrideRef, type PriceOverride } from './price-override';

/** An override as the api shows it: decimals as strings, instants as ISO 8601, plus the `price_ref` it stamps. */
export function overrideJson(o: PriceOverride) {
  return {
    id: o.id,
    revision: o.revision,
    provider: o.provider,
    model: o.model,
    provider_account: o.provider_account,
    kind: o.kind,
    prices: o.prices,
    discount_percent: o.discount_percent === null ? null : o.discount_percent.toFixed(),
    tier: o.tier,
    currency: o.currency.trim(),
    effective_from: o.effective_from.toISOString(),
    effective_to: o.effective_to === null ? null : o.effective_to.toISOString(),
    note: o.note,
    created_by: o.created_by,
    created_at: o.created_at.toISOString(),
    updated_at: o.updated_at.toISOString(),
    price_ref: overrideRef(o),
  };
}

export type PriceOverrideJson = ReturnType<typeof overrideJson>;

const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v));
const decimal = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'must be a non-negative decimal string')
  .transform((v) => new Dec(v));

/** The stored override's shape, checked field by field: prices were validated when the override was written. */
export const overrideJsonSchema = z.object({
  id: z.string().min(1),
  revision: z.number().int().nonnegative(),
  provider: z.string().min(1),
  model: z.string().nullable(),
  provider_account: z.string().nullable(),
  kind: z.enum(OVERRIDE_KINDS),
  prices: z.record(z.string(), z.unknown()),
  discount_percent: decimal.nullable(),
  tier: z.string().nullable(),
  currency: z.string().length(3),
  effective_from: instant,
  effective_to: instant.nullable(),
  note: z.string(),
  created_by: z.string(),
  created_at: instant,
  updated_at: instant,
  price_ref: z.string().optional(),
});

/**
 * Reads overrides back from `overrideJson` (a separate proxy receives them from the api): exact decimals and
 * instants again. Throws a ValidationError naming the entry and field, so a malformed snapshot is refused whole.
 */
export function overridesFromJson(input: unknown): PriceOverride[] {
  const overrides = parseOrThrow(z.array(overrideJsonSchema), input, { whole: 'overrides', context: 'price overrides' });
  return overrides.map(({ price_ref: _ref, ...o }) => o);
}
