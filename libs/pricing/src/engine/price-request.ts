import { Dec } from '@tollgate/core';
import { UnknownPriceError } from '../pricing.errors';
import type { PriceQuote } from './price-quote';
import type { PricingEngine } from './pricing.engine';
import type { TokenUsage } from './token-usage';

/** price_ref of a request nothing priced: stored at cost 0, never dropped, easy to find and restate later. */
export const UNPRICED_REF = 'unpriced';

/** One request as recorded, as pricing needs it (the proxy, the collector and restatements describe it alike). */
export interface RequestToPrice {
  provider: string;
  /** The model as recorded: the deployment's upstream model (for Azure and Bedrock a deployment name). */
  model: string;
  /** The model the provider reported serving, when it did (a dated snapshot, the model behind a deployment). */
  servedModel?: string;
  usage: TokenUsage;
  /** When the request was made: requests are priced by the prices and overrides of their time. */
  at: Date;
  /** Provider account billed ('' or absent = none); selects account-scoped overrides. */
  providerAccount?: string;
  /** Service tier billed ('standard' when absent). */
  tier?: string;
}

/** What a request nothing prices costs: 0, under `UNPRICED_REF`, with the reason (no currency: the caller keeps its own). */
export interface UnpricedResult {
  readonly source: 'unpriced';
  readonly cost: Dec;
  readonly price_ref: typeof UNPRICED_REF;
  readonly reason: string;
}

/** A request's price: the quote, or the unpriced result. */
export type RequestPrice = PriceQuote | UnpricedResult;

export function isPriced(price: RequestPrice): price is PriceQuote {
  return price.source !== 'unpriced';
}

const ZERO = new Dec(0);

/**
 * The one way a request is priced, over one immutable snapshot of the prices (no I/O). A request no price covers
 * gets the unpriced result rather than an error; only inconsistent token counts throw (ValidationError naming the
 * field), since what to do with those is the caller's call (the collector rejects the event, a restatement leaves
 * the row as stored, the proxy records it unpriced).
 */
export function priceRequest(engine: PricingEngine, request: RequestToPrice): RequestPrice {
  try {
    return engine.price(request.provider, pricedModelNames(request.model, request.servedModel), request.usage, request.at, {
      providerAccount: request.providerAccount || undefined,
      tier: request.tier,
    });
  } catch (error) {
    if (error instanceof UnknownPriceError) return { source: 'unpriced', cost: ZERO, price_ref: UNPRICED_REF, reason: error.message };
    throw error;
  }
}

/**
 * The names a request's model is priced under: the model the provider reported serving, when there is one, then the
 * recorded model. Azure and Bedrock name deployments, not models, so the served model is the one the catalog knows;
 * an override set on either name still wins over the catalog (the engine looks for overrides on all names first).
 * Everyone prices through priceRequest, so a request keeps its price when it is restated.
 */
function pricedModelNames(model: string, servedModel?: string): string | readonly string[] {
  return servedModel && servedModel !== model ? [servedModel, model] : model;
}
