import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { calcPrice, findProvider, updatePrices } from '@pydantic/genai-prices';
import { Dec, ValidationError } from '@tollgate/core';
import { PriceCatalog } from '../catalog/price-catalog';
import type { PriceOverride } from '../overrides/price-override';
import { UnknownPriceError } from '../pricing.errors';
import { PricingEngine, tierOfPriceRef } from './pricing.engine';

// Each case: the provider's published prices, the usage, and the arithmetic, so a reader can check it by hand.
// Costs must match to 1e-9 dollar (they are in fact exact).
const catalog = new PriceCatalog();
const engine = new PricingEngine(catalog);
const at = new Date('2026-01-15T12:00:00Z');

function assertCost(actual: Dec, expected: string): void {
  assert.ok(actual.minus(expected).abs().lte('1e-9'), `cost ${actual.toFixed()} != ${expected}`);
}

let seq = 0;
function override(fields: Partial<PriceOverride> & Pick<PriceOverride, 'provider' | 'kind'>): PriceOverride {
  seq += 1;
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    revision: 1,
    model: null,
    provider_account: null,
    prices: {},
    discount_percent: null,
    tier: null,
    currency: 'USD',
    effective_from: new Date('2025-01-01T00:00:00Z'),
    effective_to: null,
    note: '',
    created_by: 'test',
    created_at: new Date('2025-01-01T00:00:00Z'),
    updated_at: new Date('2025-01-01T00:00:00Z'),
    ...fields,
  };
}

describe('cost cases computed by hand from published prices', () => {
  it('OpenAI gpt-4o with cached input', () => {
    // gpt-4o-2024-08-06: $2.50 / M input, $1.25 / M cached input, $10.00 / M output.
    // prompt_tokens 12,345 of which cached 4,096; completion 678.
    //   uncached 8,249 × 2.50 / 1e6 = 0.0206225
    //   cached   4,096 × 1.25 / 1e6 = 0.00512
    //   output     678 × 10   / 1e6 = 0.00678
    //   total                        = 0.0325225
    const q = engine.price('openai', 'gpt-4o-2024-08-06', { input_tokens: 12_345, cached_input_tokens: 4_096, output_tokens: 678 }, at);
    assertCost(q.cost, '0.0325225');
    assert.equal(q.breakdown.input?.tokens, 8_249);
    assert.equal(q.breakdown.cached_input?.price_per_million.toString(), '1.25');
    assert.equal(q.price_ref, 'genai-prices@0.1.8:openai/gpt-4o');
    assert.equal(q.source, 'catalog');
    assert.equal(q.currency, 'USD');
  });

  it('Anthropic claude-sonnet-4-5 with cache write (5 min and 1 h) and cache read', () => {
    // Claude Sonnet 4.5: $3 / M input, $3.75 / M 5-min cache write, $6 / M 1-h cache write, $0.30 / M cache read, $15 / M output.
    // Anthropic usage: input_tokens 1,200 (uncached only), cache_creation_input_tokens 5,000 (ephemeral_1h 1,000),
    // cache_read_input_tokens 20,000, output_tokens 850. Tollgate input_tokens = 1,200 + 5,000 + 20,000 = 26,200.
    //   uncached   1,200 × 3    / 1e6 = 0.0036
    //   5-min write 4,000 × 3.75 / 1e6 = 0.015
    //   1-h write   1,000 × 6    / 1e6 = 0.006
    //   cache read 20,000 × 0.30 / 1e6 = 0.006
    //   output        850 × 15   / 1e6 = 0.01275
    //   total                          = 0.04335
    const usage = { input_tokens: 26_200, cache_write_tokens: 5_000, cache_write_1h_tokens: 1_000, cached_input_tokens: 20_000, output_tokens: 850 };
    const q = engine.price('anthropic', 'claude-sonnet-4-5-20250929', usage, at);
    assertCost(q.cost, '0.04335');
    assert.deepEqual(
      Object.fromEntries(Object.entries(q.breakdown).map(([k, v]) => [k, [v.tokens, v.cost.toFixed()]])),
      { input: [1_200, '0.0036'], cache_write: [4_000, '0.015'], cache_write_1h: [1_000, '0.006'], cached_input: [20_000, '0.006'], output: [850, '0.01275'] },
    );
  });

  it('Gemini 2.5 Pro above its 200k long-context threshold prices the whole request at the higher rate', () => {
    // Gemini 2.5 Pro: prompts ≤ 200k tokens $1.25 / M input, $0.125 / M cached, $10 / M output;
    // prompts > 200k: $2.50 / M input, $0.25 / M cached, $15 / M output (thinking tokens billed as output).
    // promptTokenCount 250,000 (cached 50,000), candidates 1,000 + thoughts 3,000 = 4,000 output.
    //   uncached 200,000 × 2.50 / 1e6 = 0.5
    //   cached    50,000 × 0.25 / 1e6 = 0.0125
    //   output     4,000 × 15   / 1e6 = 0.06
    //   total                         = 0.5725
    const q = engine.price('gemini', 'gemini-2.5-pro', { input_tokens: 250_000, cached_input_tokens: 50_000, output_tokens: 4_000, reasoning_tokens: 3_000 }, at);
    assertCost(q.cost, '0.5725');
    // Exactly 200,000 prompt tokens is not above the threshold: 200,000 × 1.25 / 1e6 + 4,000 × 10 / 1e6 = 0.25 + 0.04 = 0.29.
    const atThreshold = engine.price('vertex', 'gemini-2.5-pro', { input_tokens: 200_000, output_tokens: 4_000 }, at);
    assertCost(atThreshold.cost, '0.29');
  });

  it('a reasoning model bills reasoning tokens as output', () => {
    // o4-mini: $1.10 / M input, $4.40 / M output; reasoning tokens are part of completion_tokens, billed as output.
    // prompt 2,000; completion 5,000 of which reasoning 4,200.
    //   input  2,000 × 1.10 / 1e6 = 0.0022
    //   output 5,000 × 4.40 / 1e6 = 0.022
    //   total                     = 0.0242
    const q = engine.price('openai', 'o4-mini', { input_tokens: 2_000, output_tokens: 5_000, reasoning_tokens: 4_200 }, at);
    assertCost(q.cost, '0.0242');
    assert.equal(q.breakdown.output?.tokens, 5_000);
    assert.equal(q.breakdown.reasoning, undefined);
  });

  it('a price that changed on a date: o3 before and after the 2025-06-10 cut', () => {
    // o3 until 2025-06-09: $10 / M input, $40 / M output; from 2025-06-10 (00:00 UTC): $2 / M input, $8 / M output.
    // prompt 10,000, completion 2,000.
    //   before: 10,000 × 10 / 1e6 + 2,000 × 40 / 1e6 = 0.1 + 0.08 = 0.18
    //   after:  10,000 × 2  / 1e6 + 2,000 × 8  / 1e6 = 0.02 + 0.016 = 0.036
    const usage = { input_tokens: 10_000, output_tokens: 2_000 };
    const before = engine.price('openai', 'o3', usage, new Date('2025-06-09T23:59:59.999Z'));
    const after = engine.price('openai', 'o3', usage, new Date('2025-06-10T00:00:00.000Z'));
    assertCost(before.cost, '0.18');
    assertCost(after.cost, '0.036');
    assert.equal(before.price_ref, 'genai-prices@0.1.8:openai/o3');
    assert.equal(after.price_ref, 'genai-prices@0.1.8:openai/o3@2025-06-10');
  });

  it('a custom override prices a model the catalog lacks, only while it is in force', () => {
    // Self-negotiated price for a self-hosted-behind-an-API model: $0.59 / M input, $0.79 / M output, from 2025-03-01.
    // prompt 3,333, completion 777.
    //   3,333 × 0.59 / 1e6 = 0.00196647
    //     777 × 0.79 / 1e6 = 0.00061383
    //   total              = 0.0025803
    const custom = override({ provider: 'openai_compatible', kind: 'custom_price', model: 'acme-llm-70b', prices: { input: '0.59', output: '0.79' }, effective_from: new Date('2025-03-01T00:00:00Z') });
    const withOverride = new PricingEngine(catalog, [custom]);
    const q = withOverride.price('openai_compatible', 'acme-llm-70b', { input_tokens: 3_333, output_tokens: 777 }, at);
    assertCost(q.cost, '0.0025803');
    assert.equal(q.source, 'override');
    assert.equal(q.price_ref, `override:${custom.id}@1`);
    assert.throws(() => withOverride.price('openai_compatible', 'acme-llm-70b', { input_tokens: 1, output_tokens: 1 }, new Date('2025-02-28T23:59:59Z')), UnknownPriceError);
    assert.throws(() => engine.price('openai_compatible', 'acme-llm-70b', { input_tokens: 1, output_tokens: 1 }, at), (e) => e instanceof UnknownPriceError && e.kind === 'not_found');
  });

  it('a negotiated discount applies to its provider account only', () => {
    // 12.5% off Anthropic for account "acct-eu". Same usage as the Anthropic case: 0.04335 × 0.875 = 0.03793125.
    const discount = override({ provider: 'anthropic', kind: 'discount', provider_account: 'acct-eu', discount_percent: new Dec('12.5') });
    const withDiscount = new PricingEngine(catalog, [discount]);
    const usage = { input_tokens: 26_200, cache_write_tokens: 5_000, cache_write_1h_tokens: 1_000, cached_input_tokens: 20_000, output_tokens: 850 };
    const eu = withDiscount.price('anthropic', 'claude-sonnet-4-5', usage, at, { providerAccount: 'acct-eu' });
    assertCost(eu.cost, '0.03793125');
    assert.equal(eu.price_ref, `genai-prices@0.1.8:anthropic/claude-sonnet-4-5+discount=override:${discount.id}@1`);
    assert.equal(eu.breakdown.output?.price_per_million.toString(), '13.125'); // 15 × 0.875
    assertCost(withDiscount.price('anthropic', 'claude-sonnet-4-5', usage, at, { providerAccount: 'acct-us' }).cost, '0.04335');
  });
});

describe('tiers and self-hosted estimates', () => {
  it('batch is the published 50% off by default; a tier override replaces it', () => {
    // gpt-4o batch: (10,000 × 2.50 + 1,000 × 10) / 1e6 × 0.5 = 0.035 × 0.5 = 0.0175
    const usage = { input_tokens: 10_000, output_tokens: 1_000 };
    const q = engine.price('openai', 'gpt-4o', usage, at, { tier: 'batch' });
    assertCost(q.cost, '0.0175');
    assert.equal(tierOfPriceRef(q.price_ref), 'batch');
    assert.throws(() => engine.price('openai', 'gpt-4o', usage, at, { tier: 'priority' }), UnknownPriceError);
    // Priority for gpt-4o at $4.25 / M input and $17 / M output: 10,000 × 4.25 / 1e6 + 1,000 × 17 / 1e6 = 0.0425 + 0.017 = 0.0595
    const priority = override({ provider: 'openai', kind: 'tier', tier: 'priority', model: 'gpt-4o', prices: { input: '4.25', output: '17' } });
    const p = new PricingEngine(catalog, [priority]).price('openai', 'gpt-4o', usage, at, { tier: 'priority' });
    assertCost(p.cost, '0.0595');
    assert.equal(tierOfPriceRef(p.price_ref), 'priority');
    assert.equal(tierOfPriceRef('genai-prices@0.1.8:openai/gpt-4o'), 'standard');
  });

  it('a GPU-hour deployment is charged the deployment time a request used', () => {
    // 2 GPUs at $2.00 / GPU-hour, 50% utilised: $4 / 3600 s / 0.5 = $1/450 per second of deployment time.
    // Throughput 10,000 input tok/s, 1,000 output tok/s. Request 9,000 in, 450 out: 0.9 s + 0.45 s = 1.35 s.
    //   1.35 / 450 = 0.003
    const gpu = override({
      provider: 'openai_compatible', kind: 'gpu_hour', model: 'llama-3.1-70b',
      prices: { gpu_hourly_cost: '2.00', gpu_count: 2, input_tokens_per_second: 10_000, output_tokens_per_second: 1_000, utilization: '0.5' },
    });
    const q = new PricingEngine(catalog, [gpu]).price('openai_compatible', 'llama-3.1-70b', { input_tokens: 9_000, output_tokens: 450 }, at);
    assertCost(q.cost, '0.003');
  });

  it('an account-scoped custom price beats an account-wide one', () => {
    const wide = override({ provider: 'openai', kind: 'custom_price', model: 'gpt-4o', prices: { input: '2', output: '8' } });
    const scoped = override({ provider: 'openai', kind: 'custom_price', model: 'gpt-4o', provider_account: 'org-a', prices: { input: '1', output: '4' } });
    const e = new PricingEngine(catalog, [scoped, wide]);
    const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000 };
    assertCost(e.price('openai', 'gpt-4o', usage, at, { providerAccount: 'org-a' }).cost, '5');
    assertCost(e.price('openai', 'gpt-4o', usage, at, { providerAccount: 'org-b' }).cost, '10');
  });

  it('several names of one model: an override on any name beats the catalog, and the catalog is asked name by name', () => {
    // OpenAI reports the snapshot it served (gpt-4o-2024-08-06) for a deployment of gpt-4o.
    const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000 };
    const names = ['gpt-4o-2024-08-06', 'gpt-4o'];
    // Catalog: $2.50 + $10 per M. A custom price on the deployment's name ($1 + $4) wins although the catalog
    // knows the served snapshot, and so does a discount scoped to that name.
    assertCost(engine.price('openai', names, usage, at).cost, '12.5');
    const custom = override({ provider: 'openai', kind: 'custom_price', model: 'gpt-4o', prices: { input: '1', output: '4' } });
    const q = new PricingEngine(catalog, [custom]).price('openai', names, usage, at);
    assertCost(q.cost, '5');
    assert.equal(q.price_ref, `override:${custom.id}@1`);
    const discount = override({ provider: 'openai', kind: 'discount', model: 'gpt-4o', discount_percent: new Dec('20') });
    assertCost(new PricingEngine(catalog, [discount]).price('openai', names, usage, at).cost, '10');
    // A deployment name the catalog doesn't know (Azure) is priced by the served model it reported.
    assertCost(engine.price('azure_openai', ['gpt-4o-2024-08-06', 'my-4o-deploy'], usage, at).cost, '12.5');
    assert.throws(
      () => engine.price('azure_openai', ['my-4o-deploy', 'another-unknown-name'], usage, at),
      (e) => e instanceof UnknownPriceError && e.message.includes('my-4o-deploy'),
    );
  });
});

describe('catalog', () => {
  it('agrees with genai-prices itself on every OpenAI, Anthropic and Google model (to 1e-12)', () => {
    const usage = { input_tokens: 300_000, cached_input_tokens: 40_000, cache_write_tokens: 10_000, output_tokens: 20_000, reasoning_tokens: 5_000 };
    let compared = 0;
    for (const [provider, catalogId] of [['openai', 'openai'], ['anthropic', 'anthropic'], ['gemini', 'google']] as const) {
      for (const model of findProvider({ providerId: catalogId })?.models ?? []) {
        const ids = collectEquals(model.match);
        for (const id of ids.slice(0, 1)) {
          const theirs = calcPrice(
            { input_tokens: usage.input_tokens, cache_read_tokens: usage.cached_input_tokens, cache_write_tokens: usage.cache_write_tokens, output_tokens: usage.output_tokens, output_reasoning_tokens: usage.reasoning_tokens },
            id, { providerId: catalogId, timestamp: at },
          );
          if (!theirs || theirs.model.id !== model.id) continue;
          const ours = engine.price(provider, id, usage, at);
          // Theirs includes nothing we don't meter for this usage (no web searches, no audio).
          assert.ok(Math.abs(ours.cost.toNumber() - theirs.total_price) <= 1e-12, `${provider}/${id}: ${ours.cost.toFixed()} vs ${theirs.total_price}`);
          compared++;
        }
      }
    }
    assert.ok(compared > 50, `compared ${compared} models`);
  });

  it('maps Tollgate providers to catalog providers (Azure, Vertex, Bedrock included)', () => {
    const usage = { input_tokens: 1_000, output_tokens: 100 };
    // gpt-4o on Azure: 1,000 × 2.5 / 1e6 + 100 × 10 / 1e6 = 0.0035
    assertCost(engine.price('azure_openai', 'gpt-4o', usage, at).cost, '0.0035');
    // Claude Sonnet 4 on Bedrock and on Vertex: 1,000 × 3 / 1e6 + 100 × 15 / 1e6 = 0.0045
    assertCost(engine.price('bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0', usage, at).cost, '0.0045');
    assertCost(engine.price('vertex', 'claude-sonnet-4@20250514', usage, at).cost, '0.0045');
    assert.throws(() => engine.price('openai_compatible', 'gpt-4o', usage, at), UnknownPriceError);
    assert.throws(() => engine.price('openai', 'no-such-model-xyz', usage, at), UnknownPriceError);
  });

  it('never moves with genai-prices updates made at run time', () => {
    const before = engine.price('openai', 'gpt-4o', { input_tokens: 1_000_000, output_tokens: 0 }, at).cost.toFixed();
    // Someone enables the package's data update with absurd prices: our snapshot must not change.
    updatePrices(({ setProviderData }) => setProviderData([{ id: 'openai', name: 'OpenAI', api_pattern: '.*', models: [{ id: 'gpt-4o', match: { equals: 'gpt-4o' }, prices: { input_mtok: 999, output_mtok: 999 } }] }]));
    assert.equal(calcPrice({ input_tokens: 1_000_000 }, 'gpt-4o', { providerId: 'openai' })?.total_price, 999);
    assert.equal(engine.price('openai', 'gpt-4o', { input_tokens: 1_000_000, output_tokens: 0 }, at).cost.toFixed(), before);
    assert.equal(new PriceCatalog().lookup('openai', 'gpt-4o', at)?.ref.startsWith('genai-prices@0.1.8:'), true);
  });

  it('rejects inconsistent usage with the field at fault', () => {
    assert.throws(
      () => engine.price('openai', 'gpt-4o', { input_tokens: 100, cached_input_tokens: 200, output_tokens: 1 }, at),
      (e) => e instanceof ValidationError && e.problems[0].field === 'input_tokens',
    );
    assert.throws(
      () => engine.price('openai', 'o4-mini', { input_tokens: 100, output_tokens: 10, reasoning_tokens: 20 }, at),
      (e) => e instanceof ValidationError && e.problems.some((p) => p.field === 'reasoning_tokens'),
    );
  });
});

function collectEquals(logic: unknown): string[] {
  const l = logic as Record<string, unknown>;
  if (typeof l.equals === 'string') return [l.equals];
  if (Array.isArray(l.or)) return l.or.flatMap(collectEquals);
  return [];
}
