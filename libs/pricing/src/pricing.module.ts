import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { QUEUES, QueueBackend } from '@tollgate/storage';
import { PriceOverrideEntity } from './overrides/price-override.entity';
import { PriceOverrideRepository } from './overrides/price-override.repository';
import { PriceOverrideService } from './overrides/price-override.service';
import { PricingService } from './pricing.service';
import { PriceRestatementOutbox } from './restatement/price-restatement.outbox';

/** TypeORM entities a process using PriceOverrideRepository must list in its starter's `entities`. */
export const PRICING_ENTITIES = [PriceOverrideEntity];

/** The module owns the shared PricingService: whoever start()ed its background refresh, it stops with the app. */
@Injectable()
class PricingServiceLifecycle implements OnApplicationShutdown {
  constructor(@Inject(PricingService) private readonly pricing: PricingService) {}
  onApplicationShutdown(): void {
    this.pricing.stop();
  }
}

/**
 * The pricing lib's services for a Nest app (needs StorageModule.forStores in the app): one PricingService per app,
 * the override use cases, the override repository and the restatement outbox. Global, so other modules (the
 * telemetry collector, the restatement processor) inject them without importing it again. Transport lives in the
 * apps: the /v1/prices controller in apps/api/src/pricing, the restatement processor in apps/worker/src/pricing.
 */
@Global()
@Module({
  providers: [
    PricingServiceLifecycle,
    { provide: PriceOverrideRepository, useFactory: (ds: DataSource) => new PriceOverrideRepository(ds), inject: [DataSource] },
    {
      provide: PriceRestatementOutbox,
      useFactory: (ds: DataSource, queues: QueueBackend) => new PriceRestatementOutbox(ds, queues),
      inject: [DataSource, QUEUES],
    },
    { provide: PricingService, useFactory: (repo: PriceOverrideRepository) => new PricingService(repo), inject: [PriceOverrideRepository] },
    {
      provide: PriceOverrideService,
      useFactory: (repo: PriceOverrideRepository, pricing: PricingService, outbox: PriceRestatementOutbox) => new PriceOverrideService(repo, pricing, outbox),
      inject: [PriceOverrideRepository, PricingService, PriceRestatementOutbox],
    },
  ],
  exports: [PricingService, PriceOverrideService, PriceOverrideRepository, PriceRestatementOutbox],
})
export class PricingModule {}
