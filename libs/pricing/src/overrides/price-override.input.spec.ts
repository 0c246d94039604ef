import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@tollgate/core';
import { parseCorrection, parseCreateOverride } from './price-override.input';
import type { PriceOverride } from './price-override';

const fieldsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error.problems.map((p) => p.field);
  }
  assert.fail('expected a ValidationError');
};

const from = '2026-01-01T00:00:00Z';

describe('price override input', () => {
  it('accepts each kind with its own fields and fills defaults', () => {
    const custom = parseCreateOverride({ provider: 'openai', model: 'gpt-4o', kind: 'custom_price', prices: { input: '2', output: { base: '8', tiers: [{ start: 200000, price: '12' }] } }, effective_from: from });
    assert.deepEqual([custom.currency, custom.provider_account, custom.effective_to, custom.note], ['USD', null, null, '']);
    assert.equal(parseCreateOverride({ provider: 'anthropic', kind: 'discount', discount_percent: 12.5, effective_from: from }).discount_percent?.toFixed(), '12.5');
    assert.equal(parseCreateOverride({ provider: 'openai', kind: 'tier', tier: 'batch', discount_percent: '50', effective_from: from }).tier, 'batch');
    const gpu = parseCreateOverride({ provider: 'openai_compatible', model: 'llama', kind: 'gpu_hour', prices: { gpu_hourly_cost: '2.5', gpu_count: 8, input_tokens_per_second: 20000, output_tokens_per_second: 2000 }, effective_from: from });
    assert.equal(gpu.kind, 'gpu_hour');
  });

  it('names every field at fault', () => {
    assert.deepEqual(fieldsOf(() => parseCreateOverride({ kind: 'custom_price', effective_from: from })), ['provider']);
    assert.deepEqual(fieldsOf(() => parseCreateOverride({ provider: 'openai', model: 'm', kind: 'custom_price', prices: { input: '1' }, effective_from: from })), ['prices.output']);
    assert.deepEqual(fieldsOf(() => parseCreateOverride({ provider: 'openai', model: 'm', kind: 'custom_price', prices: { input: '-1', output: '1' }, effective_from: from })), ['prices.input']);
    assert.deepEqual(fieldsOf(() => parseCreateOverride({ provider: 'openai', kind: 'discount', discount_percent: '0', effective_from: from })), ['discount_percent']);
    assert.deepEqual(fieldsOf(() => parseCreateOverride({ provider: 'openai', kind: 'discount', discount_percent: '5', tier: 'batch', effective_from: from })), ['tier']);
    assert.deepEqual(fieldsOf(() => parseCreateOverride({ provider: 'openai', kind: 'tier', tier: 'standard', discount_percent: '5', effective_from: from })), ['tier']);
    assert.deepEqual(fieldsOf(() => parseCreateOverride({ provider: 'openai', kind: 'tier', tier: 'priority', prices: { input: '1', output: '2' }, effective_from: from })), ['model']);
    assert.deepEqual(fieldsOf(() => parseCreateOverride({ provider: 'openai', kind: 'discount', discount_percent: '5', currency: 'usd', effective_from: from })), ['currency']);
    assert.deepEqual(fieldsOf(() => parseCreateOverride({ provider: 'OpenAI', kind: 'discount', discount_percent: '5', effective_from: '2026-01-01' })), ['provider', 'effective_from']);
    assert.deepEqual(fieldsOf(() => parseCreateOverride(null)), ['provider', 'kind', 'effective_from']);
  });

  it('validates a correction merged with the current row', () => {
    const t = new Date(from);
    const current: PriceOverride = {
      id: '00000000-0000-4000-8000-000000000001', revision: 3, provider: 'openai', model: 'gpt-4o', provider_account: null, kind: 'custom_price',
      prices: { input: '2', output: '8' }, discount_percent: null, tier: null, currency: 'USD', effective_from: t, effective_to: null, note: '',
      created_by: 'x', created_at: t, updated_at: t,
    };
    const next = parseCorrection(current, { effective_to: '2026-06-01T00:00:00Z' });
    assert.deepEqual([next.prices, next.effective_to?.toISOString()], [{ input: '2', output: '8' }, '2026-06-01T00:00:00.000Z']);
    assert.deepEqual(fieldsOf(() => parseCorrection(current, { effective_to: '2025-12-01T00:00:00Z' })), ['effective_to']);
    assert.deepEqual(fieldsOf(() => parseCorrection(current, {})), ['body']);
    assert.deepEqual(fieldsOf(() => parseCorrection(current, { revision: 9 })), ['revision']);
  });
});
