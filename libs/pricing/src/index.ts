export * from './engine/token-usage';
export * from './engine/price-quote';
export { priceUsage, priceAt, scaleTable, type PriceTable, type UnitPrice } from './engine/price-table';
export { PricingEngine, tierOfPriceRef } from './engine/pricing.engine';
export * from './catalog/price-catalog';
export * from './pricing.errors';
export * from './pricing.service';
export * from './overrides/price-override';
