import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fastParseTelemetryEvent } from './telemetry-event.fast-path';
import { telemetryEventSchema, validateTelemetryEvents } from './telemetry-event.schema';

const base: Record<string, unknown> = {
  request_id: 'r1',
  ts: '2026-11-20T10:15:00.123Z',
  feature: 'search',
  provider: 'openai',
  model: 'gpt-4o',
  status: 200,
  input_tokens: 10,
  cached_input_tokens: 4,
  output_tokens: 5,
  reasoning_tokens: 2,
  usage_source: 'provider',
  latency_ms: 12,
  ttft_ms: null,
  estimated_cost: '0.25',
};

// Each variant changes one field; the fast path must either agree with the schema exactly or step aside.
const variants: Record<string, unknown>[] = [
  {},
  { ts: '2026-11-20T10:15:00Z' },
  { ts: '2026-02-30T10:15:00.000Z' },
  { ts: '2024-02-29T23:59:59.999Z' },
  { ts: '2100-02-29T10:15:00Z' },
  { ts: '2000-02-29T00:00:00Z' },
  { ts: '2026-11-20T24:00:00.000Z' },
  { ts: '2026-11-20T10:60:00.000Z' },
  { ts: '2026-11-20T10:15:60Z' },
  { ts: '2026-13-20T10:15:00Z' },
  { ts: '2026-11-00T10:15:00Z' },
  { ts: '2026-11-20T10:15:00.12Z' },
  { ts: '2026-11-20T10:15:00.1234Z' },
  { ts: '2026-11-20T10:15:0a.123Z' },
  { ts: '2026-11-20t10:15:00.123Z' },
  { ts: '2026-11-20T10:15:00.123z' },
  { ts: '2026-11-20T10:15:00.123+01:00' },
  { ts: '2026-11-20 10:15:00Z' },
  { ts: '1800-01-01T00:00:00Z' },
  { ts: '2019-12-31T23:59:59.999Z' },
  { ts: '2020-01-01T00:00:00.000Z' },
  { ts: '9999-12-31T23:59:59Z' },
  { ts: new Date(Date.now() + 23 * 3600_000).toISOString() },
  { ts: new Date(Date.now() + 25 * 3600_000).toISOString() },
  { request_id: '' },
  { request_id: 'x'.repeat(129) },
  { status: 200.5 },
  { status: -1 },
  { input_tokens: 3 },
  { reasoning_tokens: 6 },
  { estimated_cost: 0.25 },
  { estimated_cost: '1e-5' },
  { estimated_cost: '-0.5' },
  { currency: 'usd' },
  { variant: 'canary' },
  { variant: 'blue' },
  { usage_source: 'guess' },
  { streamed: 'yes' },
  { tags: { a: 'b' } },
  { tags: {} },
  { tags: { served_model: 'gpt-4o-2024-08-06', route: 'r' } },
  { tags: { a: 5 } },
  { tags: { a: null } },
  { tags: { ['k'.repeat(257)]: 'v' } },
  { tags: { k: 'v'.repeat(1024) } },
  { tags: { k: 'v'.repeat(1025) } },
  { tags: ['a'] },
  { tags: null },
  { tags: 'a=b' },
  { tags: JSON.parse('{"__proto__": "x", "a": "b"}') },
  { attempt: 0 },
  { service_tier: 'batch' },
  { cache_write_tokens: 3, cache_write_1h_tokens: 4 },
  { feature: 7 },
  { customer: 'x'.repeat(257) },
  { region: null },
  { output_tokens: 5.5 },
  { image_tokens: 11 },
  { input_tokens: 2 ** 40, output_tokens: 2 ** 33 },
  { input_tokens: 1_000_000_000, output_tokens: 1_000_000_000 },
  { input_tokens: 1_000_000_001 },
  { estimated_cost: '999999999.999999999999' },
  { estimated_cost: '1000000000' },
  { estimated_cost: '-1000000000.5' },
  { estimated_cost: '00000000000123.5' },
  { estimated_cost: '12345678901234567890123456' },
  { provider_cost: '12345678901234567890123456789' },
  { ttft_ms: 7 },
  { provider_cost: '0.1', price_ref: 'p' },
  { price_ref: 5 },
  { unknown_field: 1 },
  // null is not absent: the schema refuses it for a field with a default, so the fast path must too.
  { rule_set_version: null },
  { attempt: null },
  { variant: null },
  { service_tier: null },
  { streamed: null },
  { currency: null },
];

describe('telemetry event fast path', () => {
  it('accepts only what the schema accepts, and returns the same event', () => {
    let fastCount = 0;
    for (const change of variants) {
      const input = { ...base, ...change };
      const fast = fastParseTelemetryEvent(input);
      const slow = telemetryEventSchema.safeParse(input);
      const consistent = slow.success && validateTelemetryEvents([input]).errors.length === 0;
      if (fast) {
        fastCount++;
        assert.ok(consistent, `fast path accepted what the schema rejects: ${JSON.stringify(change)}`);
        assert.deepEqual(fast, slow.data, JSON.stringify(change));
      }
      assert.equal(validateTelemetryEvents([input]).valid.length === 1, consistent, JSON.stringify(change));
    }
    assert.ok(fastCount >= 5, 'the common shapes take the fast path');
  });

  it('takes the tags the proxy sends, as copies', () => {
    const tags = { served_model: 'gpt-4o-mini-2024-07-18' };
    const event = fastParseTelemetryEvent({ ...base, tags });
    assert.deepEqual(event?.tags, tags);
    assert.notEqual(event?.tags, tags);
  });

  it('takes every plain UTC timestamp, leap days included', () => {
    for (const ts of ['2026-11-20T10:15:00.123Z', '2026-11-20T10:15:00Z', '2024-02-29T23:59:59.999Z', '2020-02-29T00:00:00Z', '2026-01-31T23:59:59Z']) {
      assert.equal(fastParseTelemetryEvent({ ...base, ts })?.ts, ts, ts);
    }
  });
});
