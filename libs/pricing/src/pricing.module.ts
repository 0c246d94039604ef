import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { DataSource } from 'typeorm';
import { CLICKHOUSE, QUEUES, QueueBackend } from '@tollgate/storage';
import { PriceOverridesController } from './http/price-overrides.controller';
import { PriceOverrideEntity } from './overrides/price-override.entity';
import { PriceOverrideRepository } from './overrides/price-override.repository';
import { PriceOverrideService } from './overrides/price-override.service';
import { PricingService } from './pricing.service';
import { PriceRestatementOutbox } from './restatement/price-restatement.outbox';
import { PriceRestatementProcessor } from './restatement/price-restatement.processor';
import { PriceRestatementService } from './restatement/price-restatement.service';

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

const shared: Provider[] = [
  PricingServiceLifecycle,
  { provide: PriceOverrideRepository, useFactory: (ds: DataSource) => new PriceOverrideRepository(ds), inject: [DataSource] },
  {
    provide: PriceRestatementOutbox,
    useFactory: (ds: DataSource, queues: QueueBackend) => new PriceRestatementOutbox(ds, queues),
    inject: [DataSource, QUEUES],
  },
  { provide: PricingService, useFactory: (repo: PriceOverrideRepository) => new PricingService(repo), inject: [PriceOverrideRepository] },
];

/**
 * Nest wiring (needs StorageModule.forStores in the app). `forApi()`: the /v1/prices controller and the override use
 * cases; `forWorker()`: the restatement processor. Both are global and export PricingService, so other modules
 * (the telemetry collector) inject it without importing this module again.
 */
@Module({})
export class PricingModule {
  static forApi(): DynamicModule {
    return {
      module: PricingModule,
      global: true,
      controllers: [PriceOverridesController],
      providers: [
        ...shared,
        {
          provide: PriceOverrideService,
          useFactory: (repo: PriceOverrideRepository, pricing: PricingService, outbox: PriceRestatementOutbox) => new PriceOverrideService(repo, pricing, outbox),
          inject: [PriceOverrideRepository, PricingService, PriceRestatementOutbox],
        },
      ],
      exports: [PricingService, PriceOverrideService],
    };
  }

  static forWorker(): DynamicModule {
    return {
      module: PricingWorkerModule,
      global: true,
      providers: [
        ...shared,
        {
          provide: PriceRestatementService,
          useFactory: (clickhouse: ClickHouseClient, pricing: PricingService) => new PriceRestatementService(clickhouse, pricing),
          inject: [CLICKHOUSE, PricingService],
        },
        PriceRestatementProcessor,
      ],
      exports: [PricingService],
    };
  }
}

/** Distinct module class so api and worker in one process get separate instances. */
@Module({})
export class PricingWorkerModule {}
