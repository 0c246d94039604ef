import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnavailableError } from '@tollgate/core';
import type { PriceOverride } from './overrides/price-override';
import { PricingService, type PriceOverrideSource } from './pricing.service';

const at = new Date('2026-02-01T00:00:00Z');
const usage = { input_tokens: 1_000_000, output_tokens: 0 };
const gpt4o = { provider: 'openai', model: 'gpt-4o', usage, at };

function customPrice(input: string): PriceOverride {
  const t = new Date('2026-01-01T00:00:00Z');
  return {
    id: '00000000-0000-4000-8000-000000000001', revision: 1, provider: 'openai', model: 'gpt-4o', provider_account: null, kind: 'custom_price',
    prices: { input, output: '10' }, discount_percent: null, tier: null, currency: 'USD', effective_from: t, effective_to: null,
    note: '', created_by: 't', created_at: t, updated_at: t,
  };
}

class CountingSource implements PriceOverrideSource {
  loads = 0;
  fail = false;
  constructor(public overrides: PriceOverride[]) {}
  async listAll(): Promise<PriceOverride[]> {
    this.loads++;
    if (this.fail) throw new Error('connection refused');
    return this.overrides;
  }
}

describe('PricingService override snapshot', () => {
  it('priceRequestSync refuses to price before the first load instead of ignoring overrides', () => {
    const service = new PricingService(new CountingSource([]));
    assert.throws(() => service.priceRequestSync(gpt4o), UnavailableError);
  });

  it('prices from memory until the snapshot is stale or invalidated', async () => {
    let now = 0;
    const source = new CountingSource([customPrice('2')]);
    const service = new PricingService(source, { refreshIntervalMs: 1000, now: () => now });
    // 1,000,000 × 2 / 1e6 = 2
    assert.equal((await service.price('openai', 'gpt-4o', usage, at)).cost.toFixed(), '2');
    source.overrides = [customPrice('3')];
    assert.equal((await service.price('openai', 'gpt-4o', usage, at)).cost.toFixed(), '2', 'cached snapshot');
    assert.equal(service.priceRequestSync(gpt4o).cost.toFixed(), '2');
    assert.equal(source.loads, 1);
    service.invalidate();
    assert.equal((await service.priceRequest(gpt4o)).cost.toFixed(), '3', 'reloaded after invalidate');
    source.overrides = [customPrice('4')];
    now = 1000;
    assert.equal((await service.price('openai', 'gpt-4o', usage, at)).cost.toFixed(), '4', 'reloaded once stale');
    assert.equal(source.loads, 3);
  });

  it('shares one load between concurrent callers and surfaces a failed load as UnavailableError', async () => {
    const source = new CountingSource([customPrice('2')]);
    const service = new PricingService(source);
    await Promise.all([service.price('openai', 'gpt-4o', usage, at), service.price('openai', 'gpt-4o', usage, at), service.refresh()]);
    assert.equal(source.loads, 1);
    source.fail = true;
    service.invalidate();
    await assert.rejects(service.price('openai', 'gpt-4o', usage, at), UnavailableError);
    // The hot path keeps the last good snapshot.
    assert.equal(service.priceRequestSync(gpt4o).cost.toFixed(), '2');
  });
});
