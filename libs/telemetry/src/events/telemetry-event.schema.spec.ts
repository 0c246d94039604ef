import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dec } from '@tollgate/core';
import { UNPRICED_REF } from '@tollgate/pricing';
import { toLlmRequestRow } from './llm-request.row';
import { telemetryEventSchema, validateTelemetryEvents } from './telemetry-event.schema';

const good = {
  request_id: 'r1',
  ts: '2026-11-20T10:15:00.123+01:00',
  provider: 'openai',
  model: 'gpt-4o',
  status: 200,
  input_tokens: 10,
  cached_input_tokens: 4,
  output_tokens: 5,
  usage_source: 'provider',
  latency_ms: 12,
};

describe('telemetry event schema', () => {
  it('keeps the valid events and names index and field of each invalid one', () => {
    const { valid, errors } = validateTelemetryEvents([
      good,
      { ...good, request_id: '' },
      { ...good, estimated_cost: 0.1 },
      { ...good, ts: 'yesterday', input_tokens: -1 },
      'not an object',
      { ...good, cached_input_tokens: 11 },
    ]);
    assert.deepEqual(valid.map((v) => v.index), [0]);
    assert.deepEqual(
      errors.map((e) => [e.index, e.field]),
      [[1, 'request_id'], [2, 'estimated_cost'], [3, 'ts'], [3, 'input_tokens'], [4, '(event)'], [5, 'input_tokens']],
    );
  });

  it('maps to a row: UTC time, defaults, money at 12 places, and unpriced when no cost and no quote', () => {
    const event = telemetryEventSchema.parse(good);
    const row = toLlmRequestRow(event);
    assert.equal(row.ts, '2026-11-20 09:15:00.123');
    assert.equal(row.requested_model, 'gpt-4o');
    assert.equal(row.estimated_cost, '0.000000000000');
    assert.equal(row.price_ref, UNPRICED_REF);
    const priced = toLlmRequestRow(telemetryEventSchema.parse({ ...good, provider_cost: '0.5' }), { cost: new Dec('0.0000125'), currency: 'USD', price_ref: 'genai-prices@0.1.8:openai/gpt-4o' });
    assert.deepEqual([priced.estimated_cost, priced.provider_cost, priced.price_ref], ['0.000012500000', '0.500000000000', 'genai-prices@0.1.8:openai/gpt-4o']);
  });

  it('rejects, naming the field, values outside the window a row can be stored and summed in', () => {
    const day = 24 * 3600_000;
    const cases: [Record<string, unknown>, string][] = [
      [{ ts: '1800-01-01T00:00:00Z' }, 'ts'],
      [{ ts: '9999-12-31T23:59:59Z' }, 'ts'],
      [{ ts: '2019-12-31T23:59:59.999Z' }, 'ts'],
      [{ ts: new Date(Date.now() + day + 60_000).toISOString() }, 'ts'],
      [{ estimated_cost: '12345678901234567890123456' }, 'estimated_cost'],
      [{ estimated_cost: '-1000000000' }, 'estimated_cost'],
      [{ provider_cost: '12345678901234567890123456789' }, 'provider_cost'],
      [{ input_tokens: 1_000_000_001 }, 'input_tokens'],
    ];
    for (const [change, field] of cases) {
      const { valid, errors } = validateTelemetryEvents([{ ...good, ...change }]);
      assert.equal(valid.length, 0, JSON.stringify(change));
      assert.deepEqual(errors.map((e) => e.field), [field], JSON.stringify(change));
    }
    const edges = [{ ts: '2020-01-01T00:00:00Z' }, { ts: new Date(Date.now() + day - 60_000).toISOString() }, { estimated_cost: '999999999.999999999999', provider_cost: '-999999999' }, { input_tokens: 1_000_000_000 }];
    for (const change of edges) assert.equal(validateTelemetryEvents([{ ...good, ...change }]).valid.length, 1, JSON.stringify(change));
  });
});
