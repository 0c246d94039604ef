import { Module } from '@nestjs/common';
import { PricingModule } from '@tollgate/pricing';
import { PriceOverridesController } from './price-overrides.controller';

/** /v1/prices over the pricing lib's services (PricingModule is global: the collector shares its PricingService). */
@Module({
  imports: [PricingModule],
  controllers: [PriceOverridesController],
})
export class PricingApiModule {}
