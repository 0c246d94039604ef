import { z } from 'zod';
import { TOKEN_CLASSES, USAGE_DIMENSIONS, USAGE_GRAINS, telemetryEventSchema } from '@tollgate/telemetry';

/** The collector's and the usage query's documented shapes: the event schema itself, and the answers' shapes. */
const problem = z.object({ index: z.number().int().optional(), field: z.string(), reason: z.string() });

export const telemetryBatchSchema = z.array(telemetryEventSchema).describe('a JSON array of telemetry events (or the same events as NDJSON, one per line, optionally gzipped)');

export const collectorResultSchema = z.object({
  accepted: z.number().int().describe('valid events, written now or already stored (a re-send is idempotent)'),
  rejected: z.number().int(),
  duplicates: z.number().int(),
  errors: z.array(problem).describe('why each rejected event was refused, by its index in the batch'),
  warnings: z.array(problem).describe('accepted events stored with a caveat (e.g. no price known: cost 0)'),
  error: z.object({ type: z.literal('validation'), message: z.string() }).optional().describe('only on a 400: no event was valid'),
});

export const telemetryEventExample = {
  request_id: 'req_01JD8V3W6Q2N4X7Y9Z0A1B2C3D',
  ts: '2026-11-21T10:00:00.123Z',
  feature: 'search',
  customer: 'acme',
  team: 'payments',
  env: 'prod',
  provider: 'openai',
  model: 'gpt-4o-mini',
  status: 200,
  input_tokens: 12,
  cached_input_tokens: 4,
  output_tokens: 5,
  usage_source: 'provider',
  latency_ms: 412,
} satisfies z.input<typeof telemetryEventSchema>;

export const collectorResultExample = { accepted: 1, rejected: 0, duplicates: 0, errors: [], warnings: [] } satisfies z.input<typeof collectorResultSchema>;

const dimension = z.enum(USAGE_DIMENSIONS);
export const usageRowSchema = z.object({
  bucket: z.string().describe('start of the bucket, ISO-8601 UTC'),
  group: z.partialRecord(dimension, z.string()).describe('the group_by dimensions and their values'),
  currency: z.string(),
  requests: z.number().int(),
  errors: z.number().int(),
  error_rate: z.number().describe('errors / requests (a ratio)'),
  tokens: z.record(z.enum(TOKEN_CLASSES), z.number().int()),
  estimated_cost: z.string().describe('decimal string (12 places) in `currency`: what the proxy priced'),
  provider_cost: z.string().describe('decimal string: what the provider reported, where it does'),
  latency_p50_ms: z.number().nullable(),
  latency_p95_ms: z.number().nullable(),
});

export const usageAnswerSchema = z.object({
  from: z.string(),
  to: z.string(),
  grain: z.enum(USAGE_GRAINS),
  group_by: z.array(dimension),
  filters: z.partialRecord(dimension, z.array(z.string())),
  source: z.enum(['rollup', 'raw']).describe('what answered: a pre-aggregated rollup or the raw requests'),
  rows: z.array(usageRowSchema),
});

const tokensExample = Object.fromEntries(TOKEN_CLASSES.map((c) => [c, 0])) as Record<(typeof TOKEN_CLASSES)[number], number>;
export const usageAnswerExample = {
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-12-01T00:00:00.000Z',
  grain: 'month',
  group_by: ['feature', 'customer'],
  filters: {},
  source: 'rollup',
  rows: [
    {
      bucket: '2026-11-01T00:00:00.000Z',
      group: { feature: 'search', customer: 'acme' },
      currency: 'USD',
      requests: 1,
      errors: 0,
      error_rate: 0,
      tokens: { ...tokensExample, input_tokens: 12, cached_input_tokens: 4, output_tokens: 5 },
      estimated_cost: '0.000004500000',
      provider_cost: '0.000000000000',
      latency_p50_ms: 410,
      latency_p95_ms: 410,
    },
  ],
} satisfies z.input<typeof usageAnswerSchema>;

export const USAGE_CSV_EXAMPLE = [
  `bucket,feature,customer,currency,requests,errors,error_rate,${TOKEN_CLASSES.join(',')},estimated_cost,provider_cost,latency_p50_ms,latency_p95_ms`,
  '2026-11-01T00:00:00.000Z,search,acme,USD,1,0,0,12,4,0,5,0,0,0,0,0.000004500000,0.000000000000,410,410',
].join('\n');

/** One entry per query parameter of GET /v1/usage, from the same constants its parser checks against. */
export const USAGE_QUERY_PARAMETERS = [
  { name: 'from', required: true, description: 'start (inclusive): a date (2026-11-01, UTC) or an ISO-8601 timestamp with a zone', schema: { type: 'string' }, example: '2026-11-01' },
  { name: 'to', required: true, description: 'end (exclusive), after `from`; at most 400 days later', schema: { type: 'string' }, example: '2026-12-01' },
  { name: 'grain', required: false, description: 'bucket size (default day)', schema: { type: 'string', enum: [...USAGE_GRAINS] }, example: 'month' },
  {
    name: 'group_by',
    required: false,
    description: 'dimensions to group by, comma-separated or repeated',
    schema: { type: 'string', pattern: `^(${USAGE_DIMENSIONS.join('|')})(,(${USAGE_DIMENSIONS.join('|')}))*$` },
    example: 'feature,customer',
  },
  ...USAGE_DIMENSIONS.map((d) => ({ name: d, required: false, description: `keep only these ${d} values (comma-separated or repeated)`, schema: { type: 'string', maxLength: 256 } })),
];
