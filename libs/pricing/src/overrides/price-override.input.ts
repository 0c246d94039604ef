import { z } from 'zod';
import { Dec, ValidationError, parseOrThrow, zodProblems } from '@tollgate/core';
import { currencySchema, customPricesSchema, gpuHourSchema, OVERRIDE_KINDS, type PriceOverride } from './price-override';
import type { PriceOverrideDraft } from './price-override.repository';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with a time zone, e.g. 2026-01-01T00:00:00Z' });
const percent = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const text = String(v).trim();
    if (!/^\d+(\.\d{1,6})?$/.test(text) || Number(text) <= 0 || Number(text) > 100) {
      ctx.addIssue({ code: 'custom', message: 'must be a percentage in (0, 100] with at most 6 decimals, e.g. "12.5"' });
      return z.NEVER;
    }
    return text;
  });
const identifier = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

const fields = {
  provider: identifier(64).regex(/^[a-z0-9_.-]+$/, 'lowercase letters, digits, _ . - only (openai, azure_openai, anthropic, gemini, vertex, bedrock, openai_compatible, ...)'),
  model: identifier(256).nullable(),
  provider_account: identifier(256).nullable(),
  kind: z.enum(OVERRIDE_KINDS),
  prices: z.record(z.string(), z.unknown()),
  discount_percent: percent.nullable(),
  tier: identifier(64).regex(/^[a-z0-9_-]+$/, 'lowercase letters, digits, _ - only').refine((t) => t !== 'standard', 'standard is the catalog price; use custom_price').nullable(),
  currency: currencySchema,
  effective_from: instant,
  effective_to: instant.nullable(),
  note: z.string().max(2000),
};

/** POST body. Unknown fields are rejected so a typo (`efective_from`) is never silently ignored. */
export const createOverrideSchema = z
  .object({
    ...fields,
    model: fields.model.default(null),
    provider_account: fields.provider_account.default(null),
    prices: fields.prices.default({}),
    discount_percent: fields.discount_percent.default(null),
    tier: fields.tier.default(null),
    currency: fields.currency.default('USD'),
    effective_to: fields.effective_to.default(null),
    note: fields.note.default(''),
  })
  .strict();

/** PATCH body: any subset of the fields; the merged result is validated as a whole. */
export const correctOverrideSchema = z.object(fields).partial().strict();

type Problem = { field: string; reason: string };

/** Kind-specific rules over a complete override (after defaults, or after merging a correction). */
function kindProblems(o: z.output<typeof createOverrideSchema>): Problem[] {
  const problems: Problem[] = [];
  const hasPrices = Object.keys(o.prices).length > 0;
  const forbid = (field: 'discount_percent' | 'tier', why: string) => {
    if (o[field] !== null) problems.push({ field, reason: why });
  };
  const nested = (result: z.ZodSafeParseResult<unknown>) => {
    if (!result.success) problems.push(...zodProblems(result.error, { prefix: 'prices' }));
  };
  switch (o.kind) {
    case 'custom_price':
      if (o.model === null) problems.push({ field: 'model', reason: 'required for a custom_price' });
      nested(customPricesSchema.safeParse(o.prices));
      forbid('discount_percent', 'not allowed on a custom_price (add a discount override)');
      forbid('tier', 'not allowed on a custom_price (use kind "tier" for tier prices)');
      break;
    case 'gpu_hour':
      if (o.model === null) problems.push({ field: 'model', reason: 'required for a gpu_hour deployment' });
      nested(gpuHourSchema.safeParse(o.prices));
      forbid('discount_percent', 'not allowed on a gpu_hour override');
      forbid('tier', 'not allowed on a gpu_hour override');
      break;
    case 'discount':
      if (o.discount_percent === null) problems.push({ field: 'discount_percent', reason: 'required for a discount' });
      if (hasPrices) problems.push({ field: 'prices', reason: 'must be empty for a discount' });
      forbid('tier', 'not allowed on a discount (use kind "tier")');
      break;
    case 'tier':
      if (o.tier === null) problems.push({ field: 'tier', reason: 'required for a tier override (batch, priority, flex, ...)' });
      if (hasPrices === (o.discount_percent !== null)) problems.push({ field: 'prices', reason: 'give exactly one of prices (the tier price list) or discount_percent' });
      if (hasPrices) {
        if (o.model === null) problems.push({ field: 'model', reason: 'required when a tier override carries prices' });
        nested(customPricesSchema.safeParse(o.prices));
      }
      break;
  }
  if (o.effective_to !== null && Date.parse(o.effective_to) <= Date.parse(o.effective_from)) {
    problems.push({ field: 'effective_to', reason: 'must be after effective_from' });
  }
  return problems;
}

const OVERRIDE_CONTEXT = 'invalid price override';

function fail(problems: Problem[]): never {
  throw ValidationError.of(problems, OVERRIDE_CONTEXT);
}

function toDraft(o: z.output<typeof createOverrideSchema>): PriceOverrideDraft {
  return {
    provider: o.provider,
    model: o.model,
    provider_account: o.provider_account,
    kind: o.kind,
    prices: o.prices,
    discount_percent: o.discount_percent === null ? null : new Dec(o.discount_percent),
    tier: o.tier,
    currency: o.currency,
    effective_from: new Date(o.effective_from),
    effective_to: o.effective_to === null ? null : new Date(o.effective_to),
    note: o.note,
  };
}

/** Validates a create body; throws ValidationError naming every bad field. */
export function parseCreateOverride(body: unknown): PriceOverrideDraft {
  const parsed = parseOrThrow(createOverrideSchema, body ?? {}, { whole: 'body', context: OVERRIDE_CONTEXT });
  const problems = kindProblems(parsed);
  if (problems.length) fail(problems);
  return toDraft(parsed);
}

/** Validates a correction against the current row; returns the complete next state. */
export function parseCorrection(current: PriceOverride, body: unknown): PriceOverrideDraft {
  const correction = parseOrThrow(correctOverrideSchema, body ?? {}, { whole: 'body', context: OVERRIDE_CONTEXT });
  if (Object.keys(correction).length === 0) fail([{ field: 'body', reason: 'no field to correct' }]);
  const merged = {
    provider: current.provider,
    model: current.model,
    provider_account: current.provider_account,
    kind: current.kind,
    prices: current.prices,
    discount_percent: current.discount_percent === null ? null : current.discount_percent.toFixed(),
    tier: current.tier,
    currency: current.currency.trim(),
    effective_from: current.effective_from.toISOString(),
    effective_to: current.effective_to === null ? null : current.effective_to.toISOString(),
    note: current.note,
    ...correction,
  };
  const problems = kindProblems(merged);
  if (problems.length) fail(problems);
  return toDraft(merged);
}
