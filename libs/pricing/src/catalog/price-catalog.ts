import { findProvider, type MatchLogic, type ModelInfo, type ModelPrice, type Provider } from '@pydantic/genai-prices';
import { Dec } from '@tollgate/core';
import type { PriceClass } from '../engine/price-quote';
import type { PriceTable, UnitPrice } from '../engine/price-table';

/** The catalog package and the exact version package.json pins; part of every catalog price_ref. */
export const CATALOG_PACKAGE = '@pydantic/genai-prices';
export const CATALOG_VERSION = '0.1.8';
const REF_PREFIX = `genai-prices@${CATALOG_VERSION}`;

/** Tollgate's provider kinds (tollgate.providers.kind). */
export const TOLLGATE_PROVIDERS = ['openai', 'azure_openai', 'anthropic', 'gemini', 'vertex', 'bedrock', 'openai_compatible'] as const;
export type TollgateProvider = (typeof TOLLGATE_PROVIDERS)[number];

/**
 * Tollgate provider → genai-prices provider. `openai_compatible` (vLLM, self-hosted, unknown hosts) has no catalog
 * entry on purpose: pricing it at some hosted vendor's list price would be a guess; it needs an override.
 * Any other provider string is looked up as a genai-prices provider id (`groq`, `deepseek`, `mistral`, ...).
 */
export const CATALOG_PROVIDER_IDS: Record<TollgateProvider, string | null> = {
  openai: 'openai',
  azure_openai: 'azure',
  anthropic: 'anthropic',
  gemini: 'google',
  vertex: 'google',
  bedrock: 'aws',
  openai_compatible: null,
};

/** genai-prices providers snapshotted at load (the mapped ones, their fallbacks, and common hosted vendors). */
const SNAPSHOT_PROVIDER_IDS = [
  'openai', 'azure', 'anthropic', 'google', 'aws', 'groq', 'mistral', 'deepseek', 'x-ai', 'together', 'cohere',
  'fireworks', 'moonshotai', 'perplexity', 'cerebras', 'openrouter', 'novita',
];

/** genai-prices price keys → Tollgate price classes. Keys not listed (web search fees, video, durations) are not metered. */
const PRICE_KEY_CLASS: Record<string, PriceClass> = {
  input_mtok: 'input',
  cache_read_mtok: 'cached_input',
  cache_write_mtok: 'cache_write',
  cache_write_5m_mtok: 'cache_write_5m',
  cache_write_1h_mtok: 'cache_write_1h',
  input_audio_mtok: 'audio_input',
  cache_audio_read_mtok: 'cached_audio_input',
  input_image_mtok: 'image',
  cache_image_read_mtok: 'cached_image',
  output_mtok: 'output',
  output_reasoning_mtok: 'reasoning',
  output_audio_mtok: 'audio_output',
  requests_kcount: 'requests',
};

export interface CatalogPrice {
  table: PriceTable;
  currency: 'USD';
  ref: string;
  catalogProvider: string;
  catalogModel: string;
}

/**
 * The bundled genai-prices data, deep-copied and frozen when constructed. Nothing here calls `updatePrices` or
 * `waitForUpdate`, and because the data is a private snapshot, even another module enabling the package's
 * auto-update in this process cannot change Tollgate's prices: a price changes only with the pinned version.
 */
export class PriceCatalog {
  private readonly providers = new Map<string, Provider>();
  private readonly tables = new WeakMap<object, PriceTable>();
  /** (provider, model) → catalog entry; matching walks hundreds of patterns, the proxy asks the same pairs all day. */
  private readonly matches = new Map<string, { provider: Provider; model: ModelInfo } | null>();

  constructor(providers?: Provider[]) {
    const source = providers ?? SNAPSHOT_PROVIDER_IDS.map((id) => findProvider({ providerId: id })).filter((p): p is Provider => !!p);
    for (const provider of source) this.providers.set(provider.id, deepFreeze(structuredClone(provider)));
  }

  /** genai-prices provider id for a Tollgate provider (null: never catalog-priced). */
  static catalogProviderId(provider: string): string | null {
    return provider in CATALOG_PROVIDER_IDS ? CATALOG_PROVIDER_IDS[provider as TollgateProvider] : provider.toLowerCase();
  }

  /** The catalog's price for `model` at instant `at`, or null when the catalog doesn't know it. */
  lookup(provider: string, model: string, at: Date): CatalogPrice | null {
    const providerId = PriceCatalog.catalogProviderId(provider);
    if (!providerId) return null;
    const catalogProvider = this.providers.get(providerId);
    if (!catalogProvider) return null;
    const modelId = model.toLowerCase().trim();
    const key = `${providerId}\u0000${modelId}`;
    let found = this.matches.get(key);
    if (found === undefined) {
      found = this.findModel(catalogProvider, modelId) ?? this.findModel(catalogProvider, normaliseDates(modelId)) ?? null;
      // Bounded: model names come from traffic; an unbounded map would grow with every typo.
      if (this.matches.size >= 10_000) this.matches.clear();
      this.matches.set(key, found);
    }
    if (!found) return null;
    const { row, suffix } = selectPriceRow(found.model, at);
    let table = this.tables.get(row);
    if (!table) {
      table = toTable(row);
      this.tables.set(row, table);
    }
    return {
      table,
      currency: 'USD',
      ref: `${REF_PREFIX}:${found.provider.id}/${found.model.id}${suffix}`,
      catalogProvider: found.provider.id,
      catalogModel: found.model.id,
    };
  }

  private findModel(provider: Provider, modelId: string, seen = new Set<string>()): { provider: Provider; model: ModelInfo } | undefined {
    seen.add(provider.id);
    const model = provider.models.find((m) => matches(m.match, modelId));
    if (model) return { provider, model };
    for (const fallbackId of provider.fallback_model_providers ?? []) {
      const fallback = this.providers.get(fallbackId);
      if (!fallback || seen.has(fallbackId)) continue;
      const found = this.findModel(fallback, modelId, seen);
      if (found) return found;
    }
    return undefined;
  }
}

/** Same matching semantics as genai-prices (case-insensitive except regex). */
function matches(logic: MatchLogic, id: string): boolean {
  if ('or' in logic) return logic.or.some((l) => matches(l, id));
  if ('and' in logic) return logic.and.every((l) => matches(l, id));
  if ('equals' in logic) return id === logic.equals.toLowerCase();
  if ('starts_with' in logic) return id.startsWith(logic.starts_with.toLowerCase());
  if ('ends_with' in logic) return id.endsWith(logic.ends_with.toLowerCase());
  if ('contains' in logic) return id.includes(logic.contains.toLowerCase());
  if ('regex' in logic) return new RegExp(logic.regex).test(id);
  return false;
}

/** `claude-x-20250514` → `claude-x-2025-05-14`, as genai-prices retries a model id. */
function normaliseDates(id: string): string {
  return id.replace(/(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)/g, (all, dash, y, m, day) => {
    const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(day)));
    return date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(day) ? `${dash}${y}-${m}-${day}` : all;
  });
}

/**
 * The price row in force at `at` (genai-prices semantics: the last row whose constraint holds, else the first).
 * The ref suffix names a dated row (`@2025-06-10`) or a time-of-day window (`@tod:16:30:00Z-00:30:00Z`).
 */
function selectPriceRow(model: ModelInfo, at: Date): { row: ModelPrice; suffix: string } {
  if (!Array.isArray(model.prices)) return { row: model.prices, suffix: '' };
  if (Number.isNaN(at.getTime())) throw new RangeError('invalid pricing instant');
  for (let i = model.prices.length - 1; i >= 0; i--) {
    const candidate = model.prices[i];
    const constraint = candidate.constraint;
    if (!constraint) return { row: candidate.prices, suffix: '' };
    if (constraint.type === 'start_date') {
      if (at.getTime() >= Date.parse(`${constraint.start_date}T00:00:00Z`)) return { row: candidate.prices, suffix: `@${constraint.start_date}` };
    } else if (constraint.type === 'time_of_date') {
      const seconds = at.getUTCHours() * 3600 + at.getUTCMinutes() * 60 + at.getUTCSeconds() + at.getUTCMilliseconds() / 1000;
      const start = secondsOfDay(constraint.start_time);
      const end = secondsOfDay(constraint.end_time);
      const inside = end < start ? seconds >= start || seconds < end : seconds >= start && seconds < end;
      if (inside) return { row: candidate.prices, suffix: `@tod:${constraint.start_time}-${constraint.end_time}` };
    }
  }
  return { row: model.prices[0].prices, suffix: '' };
}

function secondsOfDay(time: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(time);
  if (!m) throw new RangeError(`invalid time of day in catalog: ${time}`);
  const local = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  const offset = m[5] === 'Z' ? 0 : (m[6] === '+' ? 1 : -1) * (Number(m[7]) * 60 + Number(m[8])) * 60;
  return (local - offset + 86400) % 86400;
}

/** Catalog numbers are the published decimals; String() gives their shortest form, so no binary noise enters Dec. */
function toTable(prices: ModelPrice): PriceTable {
  const table: PriceTable = {};
  for (const [key, value] of Object.entries(prices)) {
    const cls = PRICE_KEY_CLASS[key];
    if (!cls || value === undefined) continue;
    table[cls] = toUnitPrice(value);
  }
  return table;
}

function toUnitPrice(value: number | { base: number; tiers: Array<{ start: number; price: number }> }): UnitPrice {
  if (typeof value === 'number') return { base: new Dec(String(value)), tiers: [] };
  return {
    base: new Dec(String(value.base)),
    tiers: [...value.tiers].sort((a, b) => a.start - b.start).map((t) => ({ start: t.start, price: new Dec(String(t.price)) })),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
