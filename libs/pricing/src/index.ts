export { type PriceQuote } from './engine/price-quote';
export { UNPRICED_REF, isPriced, priceRequest, type RequestPrice } from './engine/price-request';
export { PricingEngine, tierOfPriceRef } from './engine/pricing.engine';
export {
  TOKEN_USAGE_FIELDS,
  emptyTokenUsage,
  parseTokenUsage,
  usageProblems,
  type TokenUsage,
  type TokenUsageField,
} from './engine/token-usage';
export { OVERRIDE_KINDS, type PriceOverride } from './overrides/price-override';
export { createOverrideSchema, correctOverrideSchema } from './overrides/price-override.input';
export { overrideJson, overrideJsonSchema, overridesFromJson } from './overrides/price-override.json';
export { PriceOverrideRepository } from './overrides/price-override.repository';
export { PriceOverrideService } from './overrides/price-override.service';
export { PRICING_ENTITIES, PricingModule } from './pricing.module';
export { PricingService, PushedPriceOverrideSource, StaticPriceOverrideSource } from './pricing.service';
export { restatementJobSchema, type RestatementScope } from './restatement/price-restatement.job';
export { PriceRestatementOutbox } from './restatement/price-restatement.outbox';
