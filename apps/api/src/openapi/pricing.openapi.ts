import { z } from 'zod';
import { overrideJsonSchema, restatementJobSchema } from '@tollgate/pricing';

/** Response shapes of /v1/prices (overrides as overrideJson writes them: the schema a separate proxy reads them with). */
const restatementRef = z.object({ job_id: z.string(), queued: z.boolean().describe('false: pending, the worker queues it shortly') }).nullable();

export const overrideChangeSchema = z.object({
  override: overrideJsonSchema,
  restatement: restatementRef.describe('when the change touches the past: the job that re-prices the requests it covers'),
});
export const overrideDeletedSchema = z.object({ deleted: overrideJsonSchema, restatement: restatementRef });
export const overrideListSchema = z.object({ overrides: z.array(overrideJsonSchema) });
export const overrideOneSchema = z.object({ override: overrideJsonSchema });

export const restatementSchema = z.object({
  restatement: z.object({
    job_id: z.string(),
    override_id: z.string(),
    revision: z.number().int(),
    reason: restatementJobSchema.shape.reason,
    status: z.enum(['pending', 'queued', 'completed', 'failed']),
    payload: z.record(z.string(), z.unknown()),
    result: z.record(z.string(), z.unknown()).nullable().describe('rows_scanned, rows_changed, rows_unpriced, … once completed'),
    error: z.string().nullable(),
  }),
});

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/);
export const quoteSchema = z.object({
  cost: decimal,
  currency: z.string(),
  price_ref: z.string().describe('what made the price: catalog row, override, tier, discount'),
  source: z.enum(['catalog', 'override']),
  tier: z.string(),
  breakdown: z.record(z.string(), z.object({ tokens: z.number().int(), price_per_million: decimal, cost: decimal })),
  adjustments: z.array(z.object({ kind: z.string(), percent_off: decimal, ref: z.string() })),
});

const OVERRIDE_ID = '6a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d';
export const createOverrideExample = {
  provider: 'openai_compatible',
  model: 'acme-llm-70b',
  kind: 'custom_price',
  prices: { input: '0.59', output: '0.79' },
  effective_from: '2026-01-01T00:00:00Z',
  note: 'contract #42',
};
export const overrideExample = {
  id: OVERRIDE_ID,
  revision: 1,
  provider: 'openai_compatible',
  model: 'acme-llm-70b',
  provider_account: null,
  kind: 'custom_price',
  prices: { input: '0.59', output: '0.79' },
  discount_percent: null,
  tier: null,
  currency: 'USD',
  effective_from: '2026-01-01T00:00:00.000Z',
  effective_to: null,
  note: 'contract #42',
  created_by: 'api',
  created_at: '2026-11-02T09:30:00.000Z',
  updated_at: '2026-11-02T09:30:00.000Z',
  price_ref: `override:${OVERRIDE_ID}@1`,
} satisfies z.input<typeof overrideJsonSchema>;
export const overrideChangeExample = { override: overrideExample, restatement: { job_id: `restate-${OVERRIDE_ID}-r1`, queued: true } };

export const restatementExample = {
  restatement: {
    job_id: `restate-${OVERRIDE_ID}-r1`,
    override_id: OVERRIDE_ID,
    revision: 1,
    reason: 'created',
    status: 'completed',
    payload: {},
    result: { rows_scanned: 2, rows_changed: 2, rows_unpriced: 0 },
    error: null,
  },
} satisfies z.input<typeof restatementSchema>;

export const quoteExample = {
  cost: '0.0000045',
  currency: 'USD',
  price_ref: 'genai-prices@0.1.8:openai/gpt-4o-mini',
  source: 'catalog',
  tier: 'standard',
  breakdown: {
    input: { tokens: 8, price_per_million: '0.15', cost: '0.0000012' },
    cached_input: { tokens: 4, price_per_million: '0.075', cost: '0.0000003' },
    output: { tokens: 5, price_per_million: '0.6', cost: '0.000003' },
  },
  adjustments: [],
} satisfies z.input<typeof quoteSchema>;
