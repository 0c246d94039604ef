import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dec, ValidationError } from '@tollgate/core';
import { PriceCatalog } from '../catalog/price-catalog';
import type { PriceOverride } from '../overrides/price-override';
import { isPriced, priceRequest, UNPRICED_REF } from './price-request';
import { PricingEngine } from './pricing.engine';

const catalog = new PriceCatalog();
const engine = new PricingEngine(catalog);
const at = new Date('2026-01-15T12:00:00Z');
const million = { input_tokens: 1_000_000, output_tokens: 1_000_000 };

function accountDiscount(account: string, percent: string): PriceOverride {
  const t = new Date('2025-01-01T00:00:00Z');
  return {
    id: '00000000-0000-4000-8000-000000000042', revision: 1, provider: 'openai', model: null, provider_account: account, kind: 'discount',
    prices: {}, discount_percent: new Dec(percent), tier: null, currency: 'USD', effective_from: t, effective_to: null,
    note: '', created_by: 'test', created_at: t, updated_at: t,
  };
}

describe('priceRequest: the one way a recorded request is priced', () => {
  it('prices by the served model first, then the recorded one (an Azure deployment name is no model)', () => {
    // gpt-4o-2024-08-06: $2.50 + $10 per M.
    const price = priceRequest(engine, { provider: 'azure_openai', model: 'my-4o-deploy', servedModel: 'gpt-4o-2024-08-06', usage: million, at });
    assert.ok(isPriced(price));
    assert.equal(price.cost.toFixed(), '12.5');
    assert.equal(price.currency, 'USD');
    // The same served and recorded name is one name.
    assert.equal(priceRequest(engine, { provider: 'openai', model: 'gpt-4o', servedModel: 'gpt-4o', usage: million, at }).cost.toFixed(), '12.5');
  });

  it('passes account and tier on: an empty account is no account, batch is half price', () => {
    const discounted = new PricingEngine(catalog, [accountDiscount('org-a', '20')]);
    const request = { provider: 'openai', model: 'gpt-4o', usage: million, at };
    assert.equal(priceRequest(discounted, { ...request, providerAccount: 'org-a' }).cost.toFixed(), '10');
    assert.equal(priceRequest(discounted, { ...request, providerAccount: '' }).cost.toFixed(), '12.5');
    const batch = priceRequest(engine, { ...request, tier: 'batch' });
    assert.equal(batch.cost.toFixed(), '6.25');
    assert.match(batch.price_ref, /\+tier:batch=builtin-50$/);
  });

  it('answers a request nothing prices with the unpriced result (cost 0, the reason), never an error', () => {
    const price = priceRequest(engine, { provider: 'openai_compatible', model: 'acme-llm-70b', usage: million, at });
    assert.equal(isPriced(price), false);
    assert.equal(price.price_ref, UNPRICED_REF);
    assert.equal(price.cost.toFixed(), '0');
    assert.ok(!isPriced(price) && price.reason.includes('acme-llm-70b'), JSON.stringify(price));
  });

  it('throws ValidationError naming the field for inconsistent counts', () => {
    const usage = { input_tokens: 10, cache_write_tokens: 5, cache_write_1h_tokens: 6, output_tokens: 1 };
    assert.throws(
      () => priceRequest(engine, { provider: 'openai', model: 'gpt-4o', usage, at }),
      (e) => e instanceof ValidationError && e.problems.some((p) => p.field === 'cache_write_1h_tokens'),
    );
  });
});
