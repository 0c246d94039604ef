import { z } from 'zod';
import { encodeCsv } from '@tollgate/core';
import { TOKEN_USAGE_FIELDS } from '@tollgate/pricing';
import { attemptSummarySchema } from '../events/telemetry-event.schema';

/** The token classes a stored request carries: its `llm_requests` columns, pricing's TokenUsage fields. */
export const REQUEST_TOKEN_CLASSES = TOKEN_USAGE_FIELDS;

const money = z.string().regex(/^-?\d+\.\d{12}$/).describe('decimal string at 12 places, in `currency`');
const count = z.number().int().min(0);

/**
 * One stored request as `GET /v1/requests/:id` and the list return it: the latest version of its row. The OpenAPI
 * document is generated from this schema, and the tests check real answers against it.
 */
export const requestRecordSchema = z.object({
  request_id: z.string(),
  ts: z.string().describe('when the proxy received the request, ISO-8601 UTC'),
  attribution: z.object({ feature: z.string(), customer: z.string(), team: z.string(), env: z.string(), virtual_key: z.string() }),
  provider: z.string(),
  provider_account: z.string(),
  region: z.string(),
  model: z.string().describe('the model served'),
  requested_model: z.string(),
  status: z.number().int().describe('HTTP status the caller got; 0 when the connection failed first'),
  error_class: z.string(),
  tokens: z.object(Object.fromEntries(REQUEST_TOKEN_CLASSES.map((c) => [c, count])) as Record<(typeof REQUEST_TOKEN_CLASSES)[number], typeof count>),
  estimated_cost: money,
  currency: z.string().regex(/^[A-Z]{3}$/),
  price_ref: z.string().describe("catalog version and price row that priced it; 'unpriced' when nothing did"),
  provider_cost: money.nullable().describe('cost the provider reported, when it did'),
  usage_source: z.enum(['provider', 'estimated']),
  service_tier: z.string(),
  streamed: z.boolean(),
  latency_ms: count,
  ttft_ms: count.nullable(),
  attempt: z.number().int().min(1).describe('upstream tries (retries and fallbacks included)'),
  fallback_from: z.string(),
  attempts: z.array(attemptSummarySchema).describe('each upstream try, when there was more than one; [] otherwise'),
  tags: z.record(z.string(), z.string()),
  rule_set_version: count,
  rule_id: z.string(),
  variant: z.string(),
  version: z.number().int().min(1).describe('row version: above 1 once a price change restated the cost'),
});
export type RequestRecord = z.infer<typeof requestRecordSchema>;

export const requestListSchema = z.object({
  from: z.string(),
  to: z.string(),
  rows: z.array(requestRecordSchema),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next (older) page; null on the last page'),
});
export type RequestList = z.infer<typeof requestListSchema>;

export const REQUEST_RECORD_EXAMPLE: RequestRecord = {
  request_id: '6f1c1b7e-3f0a-4c47-9a51-1f2b8d0c9e21',
  ts: '2026-11-20T10:15:00.123Z',
  attribution: { feature: 'search', customer: 'acme', team: 'payments', env: 'prod', virtual_key: 'b3e0f6a2-8d5c-4f1e-9c3a-2d7b6e1f0a94' },
  provider: 'openai',
  provider_account: 'org-1',
  region: '',
  model: 'gpt-4o-mini',
  requested_model: 'gpt-4o-mini',
  status: 200,
  error_class: '',
  tokens: { input_tokens: 12, cached_input_tokens: 4, cache_write_tokens: 0, cache_write_1h_tokens: 0, output_tokens: 5, reasoning_tokens: 0, audio_input_tokens: 0, audio_output_tokens: 0, image_tokens: 0 },
  estimated_cost: '0.000004500000',
  currency: 'USD',
  price_ref: 'genai-prices@0.1.8:openai/gpt-4o-mini',
  provider_cost: null,
  usage_source: 'provider',
  service_tier: 'standard',
  streamed: true,
  latency_ms: 412,
  ttft_ms: 180,
  attempt: 2,
  fallback_from: 'openai/gpt-4o-mini',
  attempts: [
    { provider: 'openai', model: 'gpt-4o-mini', provider_account: 'org-1', status: 503, error_class: 'upstream_5xx', latency_ms: 35 },
    { provider: 'openai_compatible', model: 'gpt-4o-mini', provider_account: '', status: 200, error_class: '', latency_ms: 370 },
  ],
  tags: { served_model: 'gpt-4o-mini-2024-07-18' },
  rule_set_version: 0,
  rule_id: '',
  variant: '',
  version: 1,
};

const CSV_HEADER = [
  'request_id', 'ts', 'feature', 'customer', 'team', 'env', 'virtual_key', 'provider', 'provider_account', 'region', 'model',
  'requested_model', 'status', 'error_class', ...REQUEST_TOKEN_CLASSES, 'estimated_cost', 'currency', 'price_ref', 'provider_cost',
  'usage_source', 'service_tier', 'streamed', 'latency_ms', 'ttft_ms', 'attempt', 'fallback_from', 'attempts', 'tags', 'version',
];

/** The list as CSV, one line per request; attempts and tags as JSON text cells. */
export function requestsToCsv(rows: readonly RequestRecord[]): string {
  return encodeCsv(
    CSV_HEADER,
    rows.map((r) => [
      r.request_id, r.ts, r.attribution.feature, r.attribution.customer, r.attribution.team, r.attribution.env, r.attribution.virtual_key,
      r.provider, r.provider_account, r.region, r.model, r.requested_model, r.status, r.error_class, ...REQUEST_TOKEN_CLASSES.map((c) => r.tokens[c]),
      r.estimated_cost, r.currency, r.price_ref, r.provider_cost, r.usage_source, r.service_tier, r.streamed, r.latency_ms, r.ttft_ms,
      r.attempt, r.fallback_from, r.attempts.length ? JSON.stringify(r.attempts) : '', Object.keys(r.tags).length ? JSON.stringify(r.tags) : '', r.version,
    ]),
  );
}
