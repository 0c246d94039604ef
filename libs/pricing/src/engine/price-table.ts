import { Dec, ValidationError } from '@tollgate/core';
import type { BreakdownLine, PriceClass } from './price-quote';
import { usageProblems, type TokenUsage } from './token-usage';

/** A price per million units of a class, possibly tiered on the request's total input tokens (long-context pricing). */
export interface UnitPrice {
  base: Dec;
  /** Sorted by `start`; the last tier whose `start` is strictly below input_tokens prices the whole class. */
  tiers: Array<{ start: number; price: Dec }>;
}
export type PriceTable = Partial<Record<PriceClass, UnitPrice>>;

interface ClassDef {
  /** Dimensions as in genai-prices' units: a class is a descendant of another when its dimensions are a superset. */
  dims: ReadonlySet<string>;
  /** Usage units one price applies to: 1e6 tokens, or 1e3 requests (stated per million in the breakdown). */
  value(u: TokenUsage): number;
}

const d = (...items: string[]) => new Set(items);
const IN = ['dir=input', 'family=tokens'];
const OUT = ['dir=output', 'family=tokens'];

/** Mirrors genai-prices' unit dimensions for the classes Tollgate meters, so leaves are computed the same way. */
export const CLASS_DEFS: Record<PriceClass, ClassDef> = {
  input: { dims: d(...IN), value: (u) => u.input_tokens },
  cached_input: { dims: d(...IN, 'type=cache_read'), value: (u) => u.cached_input_tokens ?? 0 },
  cache_write: { dims: d(...IN, 'type=cache_write'), value: (u) => u.cache_write_tokens ?? 0 },
  // The one place the 5-minute share is derived: every cache write not reported as 1-hour is a 5-minute one.
  cache_write_5m: {
    dims: d(...IN, 'type=cache_write', 'ttl=5m'),
    value: (u) => Math.max(0, (u.cache_write_tokens ?? 0) - (u.cache_write_1h_tokens ?? 0)),
  },
  cache_write_1h: { dims: d(...IN, 'type=cache_write', 'ttl=1h'), value: (u) => u.cache_write_1h_tokens ?? 0 },
  audio_input: { dims: d(...IN, 'modality=audio'), value: (u) => u.audio_input_tokens ?? 0 },
  // No provider reports cached audio/image apart: cached tokens are taken to be text.
  cached_audio_input: { dims: d(...IN, 'modality=audio', 'type=cache_read'), value: () => 0 },
  image: { dims: d(...IN, 'modality=image'), value: (u) => u.image_tokens ?? 0 },
  cached_image: { dims: d(...IN, 'modality=image', 'type=cache_read'), value: () => 0 },
  output: { dims: d(...OUT), value: (u) => u.output_tokens },
  reasoning: { dims: d(...OUT, 'type=reasoning'), value: (u) => u.reasoning_tokens ?? 0 },
  audio_output: { dims: d(...OUT, 'modality=audio'), value: (u) => u.audio_output_tokens ?? 0 },
  requests: { dims: d('family=requests'), value: () => 1 },
};

function isDescendant(child: ClassDef, parent: ClassDef): boolean {
  if (child === parent || child.dims.size <= parent.dims.size) return false;
  for (const dim of parent.dims) if (!child.dims.has(dim)) return false;
  return true;
}

const MILLION = new Dec(1_000_000);
const ZERO = new Dec(0);

/** Price of a class for a request with `inputTokens` prompt tokens (tiers apply to the whole class, not marginally). */
export function priceAt(price: UnitPrice, inputTokens: number): Dec {
  let applied = price.base;
  for (const tier of price.tiers) if (inputTokens > tier.start) applied = tier.price;
  return applied;
}

/** Multiplies every price of a table (base and tiers) by `factor` — tiers and discounts. */
export function scaleTable(table: PriceTable, factor: Dec): PriceTable {
  const out: PriceTable = {};
  for (const [cls, price] of Object.entries(table) as Array<[PriceClass, UnitPrice]>) {
    out[cls] = { base: price.base.times(factor), tiers: price.tiers.map((t) => ({ start: t.start, price: t.price.times(factor) })) };
  }
  return out;
}

/** How a table's classes relate, which depends only on which classes it prices: worked out once per table. */
interface TableLayout {
  /** Priced classes, most dimensions first: a leaf subtracts the leaves of its descendants, known by then. */
  order: PriceClass[];
  /** For each priced class, the priced classes that are its descendants. */
  descendants: Map<PriceClass, PriceClass[]>;
  /** Priced classes in the table's own order (the breakdown's order). */
  priced: PriceClass[];
}

// Tables are immutable snapshots (catalog entries, compiled overrides), so a layout can live as long as its table.
const layouts = new WeakMap<PriceTable, TableLayout>();

function layoutOf(table: PriceTable): TableLayout {
  let layout = layouts.get(table);
  if (!layout) {
    const priced = (Object.keys(table) as PriceClass[]).filter((c) => table[c] !== undefined);
    const order = [...priced].sort((a, b) => CLASS_DEFS[b].dims.size - CLASS_DEFS[a].dims.size || (a < b ? -1 : a > b ? 1 : 0));
    const descendants = new Map(priced.map((cls) => [cls, priced.filter((other) => isDescendant(CLASS_DEFS[other], CLASS_DEFS[cls]))]));
    layout = { order, descendants, priced };
    layouts.set(table, layout);
  }
  return layout;
}

/**
 * Prices usage against a table with exact decimals. Leaves are computed from the most specific class up (as
 * genai-prices does), so each token is charged exactly once, at the most specific rate the table has.
 */
export function priceUsage(table: PriceTable, usage: TokenUsage): { cost: Dec; breakdown: Partial<Record<PriceClass, BreakdownLine>> } {
  const problems = usageProblems(usage);
  if (problems.length) throw ValidationError.of(problems, 'inconsistent token usage');
  const { order, descendants, priced } = layoutOf(table);
  const leaves: Partial<Record<PriceClass, number>> = {};
  for (const cls of order) {
    let leaf = CLASS_DEFS[cls].value(usage);
    for (const other of descendants.get(cls)!) leaf -= leaves[other] ?? 0;
    if (leaf < 0) {
      throw new ValidationError(`inconsistent token usage: the parts of ${cls} exceed its total`, [{ field: cls, reason: 'more specific counts exceed the total' }]);
    }
    leaves[cls] = leaf;
  }
  let cost = new Dec(0);
  const breakdown: Partial<Record<PriceClass, BreakdownLine>> = {};
  for (const cls of priced) {
    const tokens = leaves[cls] ?? 0;
    if (tokens === 0 && cls !== 'input' && cls !== 'output') continue;
    const price = table[cls] as UnitPrice;
    // `requests` prices are per 1,000 in catalogs; stated per million here like every other class.
    const perMillion = cls === 'requests' ? priceAt(price, usage.input_tokens).times(1000) : priceAt(price, usage.input_tokens);
    const lineCost = tokens === 0 ? ZERO : perMillion.times(tokens).dividedBy(MILLION);
    breakdown[cls] = { tokens, price_per_million: perMillion, cost: lineCost };
    cost = cost.plus(lineCost);
  }
  return { cost, breakdown };
}
