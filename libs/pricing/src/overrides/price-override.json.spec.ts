import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dec, ValidationError } from '@tollgate/core';
import type { PriceOverride } from './price-override';
import { overrideJson, overridesFromJson } from './price-override.json';

const discount: PriceOverride = {
  id: '6f1c2a4e-0b7d-4c1e-9a51-2f3e4d5c6b7a',
  revision: 3,
  provider: 'anthropic',
  model: null,
  provider_account: 'acct-eu',
  kind: 'discount',
  prices: {},
  discount_percent: new Dec('12.5'),
  tier: null,
  currency: 'USD',
  effective_from: new Date('2026-03-01T00:00:00Z'),
  effective_to: new Date('2026-09-01T00:00:00Z'),
  note: 'EU commit',
  created_by: 'finance',
  created_at: new Date('2026-02-20T10:00:00Z'),
  updated_at: new Date('2026-02-21T10:00:00Z'),
};

describe('price override JSON (the api → separate proxy channel)', () => {
  it('reads back exactly what it wrote: decimals, instants, nulls and prices', () => {
    const custom: PriceOverride = { ...discount, id: 'c1', revision: 1, kind: 'custom_price', model: 'acme-70b', provider_account: null, discount_percent: null, prices: { input: '0.59', output: { base: '0.79', tiers: [{ start: 200000, price: '1.2' }] } }, effective_to: null };
    const [a, b] = overridesFromJson(JSON.parse(JSON.stringify([overrideJson(discount), overrideJson(custom)])));
    assert.deepEqual(a, discount);
    assert.ok(a.discount_percent instanceof Dec && a.discount_percent.equals('12.5'));
    assert.deepEqual(b, custom);
  });

  it('refuses a malformed snapshot whole, naming the entry and field', () => {
    const good = overrideJson(discount);
    for (const [bad, field] of [
      [{ ...good, discount_percent: '12,5' }, '1.discount_percent'],
      [{ ...good, effective_from: 'yesterday' }, '1.effective_from'],
      [{ ...good, kind: 'rebate' }, '1.kind'],
      [{ ...good, revision: undefined }, '1.revision'],
    ] as const) {
      assert.throws(
        () => overridesFromJson([good, bad]),
        (e) => e instanceof ValidationError && e.message.includes(`${field}:`),
        field,
      );
    }
    assert.throws(() => overridesFromJson({ overrides: [] }), ValidationError);
  });
});
