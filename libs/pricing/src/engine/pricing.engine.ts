import { Dec } from '@tollgate/core';
import { PriceCatalog } from '../catalog/price-catalog';
import { UnknownPriceError } from '../pricing.errors';
import { customPriceTable, gpuHourTable, overrideRef, type PriceOverride } from '../overrides/price-override';
import type { PriceAdjustment, PriceOptions, PriceQuote } from './price-quote';
import { priceUsage, scaleTable, type PriceTable } from './price-table';
import type { TokenUsage } from './token-usage';

/** Providers whose batch APIs are published at 50% of the standard price (OpenAI, Azure, Anthropic, Gemini, Bedrock). */
const BUILTIN_BATCH_HALF = new Set(['openai', 'azure_openai', 'anthropic', 'gemini', 'vertex', 'bedrock']);

interface Compiled {
  override: PriceOverride;
  ref: string;
  /** custom_price, gpu_hour, and tier overrides that carry prices. */
  table?: PriceTable;
}

/**
 * Pure, synchronous pricing: catalog + an immutable snapshot of the overrides. No I/O, so the proxy can price on
 * its hot path. Resolution:
 *  1. base: the most specific gpu_hour / custom_price override for (provider, model[, account]) in force at `at`,
 *     else the catalog, else UnknownPriceError;
 *  2. tier (when not 'standard'): a tier override (its prices replace the base, or its percent scales it), else the
 *     published 50% batch discount for the big providers, else UnknownPriceError;
 *  3. discount: the most specific discount override for (provider[, account][, model]) scales every class.
 * "Most specific": an account-scoped override beats an account-wide one, a model-scoped one beats a provider-wide one,
 * then the later effective_from wins.
 */
export class PricingEngine {
  private readonly byProvider = new Map<string, Compiled[]>();

  constructor(
    readonly catalog: PriceCatalog,
    overrides: readonly PriceOverride[] = [],
  ) {
    for (const override of overrides) {
      const compiled: Compiled = { override, ref: overrideRef(override) };
      if (override.kind === 'custom_price' || (override.kind === 'tier' && Object.keys(override.prices).length > 0)) {
        compiled.table = customPriceTable(override.prices);
      } else if (override.kind === 'gpu_hour') {
        compiled.table = gpuHourTable(override.prices);
      }
      const list = this.byProvider.get(override.provider) ?? [];
      list.push(compiled);
      this.byProvider.set(override.provider, list);
    }
  }

  /**
   * `model` may be several names of one model, most specific first (the proxy passes the snapshot the provider
   * reports, then the deployment's model): an override for any of them beats the catalog's price for any of them,
   * and the catalog is asked for each name in turn. Throws UnknownPriceError naming the first.
   */
  price(provider: string, model: string | readonly string[], usage: TokenUsage, at: Date, opts: PriceOptions = {}): PriceQuote {
    const names = typeof model === 'string' ? [model] : model;
    const account = opts.providerAccount || null;
    const tier = opts.tier && opts.tier !== 'standard' ? opts.tier : 'standard';
    const candidates = (this.byProvider.get(provider) ?? []).filter((c) => inForce(c.override, at) && names.some((name) => modelMatches(c.override, name)) && accountMatches(c.override, account));

    const refs: string[] = [];
    let table: PriceTable;
    let currency: string;
    let source: PriceQuote['source'] = 'catalog';
    const base = mostSpecific(candidates.filter((c) => (c.override.kind === 'custom_price' || c.override.kind === 'gpu_hour') && c.override.model !== null));
    if (base) {
      table = base.table as PriceTable;
      currency = base.override.currency;
      refs.push(base.ref);
      source = 'override';
    } else {
      let listed: ReturnType<PriceCatalog['lookup']> = null;
      for (let i = 0; i < names.length && !listed; i++) listed = this.catalog.lookup(provider, names[i], at);
      if (!listed) throw new UnknownPriceError(provider, names[0], at, tier);
      table = listed.table;
      currency = listed.currency;
      refs.push(listed.ref);
    }

    const adjustments: PriceAdjustment[] = [];
    if (tier !== 'standard') {
      const tierOverride = mostSpecific(candidates.filter((c) => c.override.kind === 'tier' && c.override.tier === tier));
      if (tierOverride?.table) {
        table = tierOverride.table;
        currency = tierOverride.override.currency;
        refs.push(`tier:${tier}=${tierOverride.ref}`);
        source = 'override';
      } else if (tierOverride) {
        const percent = tierOverride.override.discount_percent ?? new Dec(0);
        table = scaleTable(table, new Dec(100).minus(percent).dividedBy(100));
        adjustments.push({ kind: 'tier', percent_off: percent, ref: tierOverride.ref });
        refs.push(`tier:${tier}=${tierOverride.ref}`);
        source = 'override';
      } else if (tier === 'batch' && BUILTIN_BATCH_HALF.has(provider)) {
        table = scaleTable(table, new Dec('0.5'));
        adjustments.push({ kind: 'tier', percent_off: new Dec(50), ref: 'builtin-50' });
        refs.push(`tier:batch=builtin-50`);
      } else {
        throw new UnknownPriceError(provider, names[0], at, tier);
      }
    }

    const discount = mostSpecific(candidates.filter((c) => c.override.kind === 'discount'));
    if (discount && discount.override.discount_percent) {
      const percent = discount.override.discount_percent;
      table = scaleTable(table, new Dec(100).minus(percent).dividedBy(100));
      adjustments.push({ kind: 'discount', percent_off: percent, ref: discount.ref });
      refs.push(`discount=${discount.ref}`);
      source = 'override';
    }

    const { cost, breakdown } = priceUsage(table, usage);
    return { cost, currency, breakdown, price_ref: refs.join('+'), source, tier, adjustments };
  }
}

/** The tier a stored price_ref was computed for ('standard' when it names none). */
export function tierOfPriceRef(priceRef: string): string {
  const match = /\+tier:([^=+]+)=/.exec(priceRef);
  return match ? match[1] : 'standard';
}

function inForce(o: PriceOverride, at: Date): boolean {
  const t = at.getTime();
  return o.effective_from.getTime() <= t && (o.effective_to === null || t < o.effective_to.getTime());
}

function modelMatches(o: PriceOverride, model: string): boolean {
  return o.model === null || o.model.toLowerCase() === model.toLowerCase().trim();
}

function accountMatches(o: PriceOverride, account: string | null): boolean {
  return o.provider_account === null || o.provider_account === account;
}

function mostSpecific(list: Compiled[]): Compiled | undefined {
  const score = (c: Compiled) => (c.override.provider_account !== null ? 2 : 0) + (c.override.model !== null ? 1 : 0);
  return [...list].sort(
    (a, b) => score(b) - score(a) || b.override.effective_from.getTime() - a.override.effective_from.getTime() || b.override.updated_at.getTime() - a.override.updated_at.getTime(),
  )[0];
}
