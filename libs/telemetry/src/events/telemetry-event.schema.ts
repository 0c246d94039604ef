import { z } from 'zod';
import { FieldProblem, zodProblems } from '@tollgate/core';
import { TOKEN_USAGE_FIELDS, usageProblems, type TokenUsageField } from '@tollgate/pricing';
import { eventTimeProblem, MAX_EVENT_TOKENS, MAX_MONEY_INTEGER_DIGITS, moneyIntegerDigits } from './telemetry-event.bounds';
import { fastParseTelemetryEvent } from './telemetry-event.fast-path';

const MAX_LABEL = 256;
const label = z.string().max(MAX_LABEL).default('');
const tokens = z.number().int().min(0).max(MAX_EVENT_TOKENS).default(0);
/** The token counts: pricing's TokenUsage fields, flat on the event under the same names (absent = 0). */
const tokenFields = Object.fromEntries(TOKEN_USAGE_FIELDS.map((field) => [field, tokens])) as Record<TokenUsageField, typeof tokens>;
/** Money travels as a decimal string so no float ever touches it (a JSON number would). */
const decimalString = z
  .string()
  .regex(/^[-+]?(\d+\.?\d*|\.\d+)$/, 'must be a decimal string such as "0.000123" (no exponent, no float)')
  .refine((v) => v.replace(/^[-+]/, '').replace('.', '').replace(/^0+/, '').length <= 38, 'more digits than Decimal(38, 12) holds')
  .refine((v) => moneyIntegerDigits(v) <= MAX_MONEY_INTEGER_DIGITS, `must be less than 10^${MAX_MONEY_INTEGER_DIGITS} in absolute value`);
/** An ISO-8601 instant inside the accepted window (telemetry-event.bounds.ts). */
const eventTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 timestamp with a zone, e.g. 2026-11-21T10:00:00.123Z' })
  .superRefine((v, ctx) => {
    const problem = eventTimeProblem(Date.parse(v));
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** One upstream try of a request; the event folds them into a summary so a fallback chain stays visible. */
export const attemptSummarySchema = z.object({
  provider: z.string().min(1).max(MAX_LABEL),
  model: z.string().min(1).max(MAX_LABEL),
  provider_account: label,
  status: z.number().int().min(0).max(999),
  error_class: label,
  latency_ms: z.number().int().min(0).max(4_294_967_295),
});
export type AttemptSummary = z.infer<typeof attemptSummarySchema>;

/**
 * One proxied LLM request, as the proxy emits it and the collector accepts it (the shared wire contract).
 * Field names match the `llm_requests` columns.
 *
 * Token conventions are @tollgate/pricing's `TokenUsage` (the same as @pydantic/genai-prices'): `input_tokens` is the
 * whole prompt INCLUDING cache reads (`cached_input_tokens`), cache writes (`cache_write_tokens`, of which
 * `cache_write_1h_tokens` had the 1-hour TTL), audio and image input; `output_tokens` is the whole completion
 * INCLUDING `reasoning_tokens` and audio output. `service_tier` is the provider tier billed (standard, batch, priority, flex).
 *
 * `status` is the HTTP status the caller got (0 when the connection failed before any status); anything >= 400
 * or 0 counts as an error. Money (`estimated_cost`, `provider_cost`) is a decimal string in `currency`.
 */
export const telemetryEventSchema = z.object({
  request_id: z.string().min(1).max(128),
  ts: eventTime,
  feature: label,
  customer: label,
  team: label,
  env: label,
  virtual_key: label,
  provider: z.string().min(1).max(MAX_LABEL),
  provider_account: label,
  region: label,
  model: z.string().min(1).max(MAX_LABEL),
  requested_model: label,
  rule_set_version: z.number().int().min(0).max(4_294_967_295).default(0),
  rule_id: label,
  variant: z.enum(['', 'control', 'canary']).default(''),
  attempt: z.number().int().min(1).max(255).default(1),
  fallback_from: label,
  status: z.number().int().min(0).max(999),
  error_class: label,
  ...tokenFields,
  usage_source: z.enum(['provider', 'estimated']),
  service_tier: z.string().min(1).max(64).default('standard'),
  streamed: z.boolean().default(false),
  ttft_ms: z.number().int().min(0).max(4_294_967_295).nullable().optional(),
  latency_ms: z.number().int().min(0).max(4_294_967_295),
  estimated_cost: decimalString.optional(),
  provider_cost: decimalString.optional(),
  price_ref: z.string().max(MAX_LABEL).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code such as USD').default('USD'),
  tags: z.record(z.string().max(MAX_LABEL), z.string().max(1024)).default({}),
  attempts: z.array(attemptSummarySchema).max(32).default([]),
});

/** A validated event (defaults applied). */
export type TelemetryEvent = z.output<typeof telemetryEventSchema>;
/** What a producer may send (defaults optional). */
export type TelemetryEventInput = z.input<typeof telemetryEventSchema>;

export interface ValidatedBatch {
  valid: { index: number; event: TelemetryEvent }[];
  errors: FieldProblem[];
}

/** Validates each element on its own: the valid are kept, every invalid one yields `{index, field, reason}` problems. */
export function validateTelemetryEvents(items: unknown[]): ValidatedBatch {
  const valid: ValidatedBatch['valid'] = [];
  const errors: FieldProblem[] = [];
  items.forEach((item, index) => {
    const fast = fastParseTelemetryEvent(item);
    if (fast) {
      valid.push({ index, event: fast });
      return;
    }
    const parsed = telemetryEventSchema.safeParse(item);
    if (parsed.success) {
      const e = parsed.data;
      const problems = usageProblems(e);
      if (problems.length) for (const p of problems) errors.push({ index, field: p.field, reason: p.reason });
      else valid.push({ index, event: e });
      return;
    }
    // One problem per offending field is enough for a producer to fix its event.
    const seen = new Set<string>();
    for (const { field, reason } of zodProblems(parsed.error, { whole: '(event)' })) {
      if (seen.has(field)) continue;
      seen.add(field);
      errors.push({ index, field, reason });
    }
  });
  return { valid, errors };
}
