import { DynamicModule, Module } from '@nestjs/common';
import { healthController } from '@tollgate/runtime';
import { StorageModule, Stores } from '@tollgate/storage';
import { PricingWorkerModule } from './pricing/pricing-worker.module';
import { BillingWorkerModule } from './billing/billing-worker.module';
import { SystemProcessor } from './processors/system.processor';

@Module({})
export class WorkerModule {
  static forStores(stores: Stores): DynamicModule {
    return {
      module: WorkerModule,
      imports: [StorageModule.forStores(stores), PricingWorkerModule, BillingWorkerModule],
      controllers: [healthController('worker')],
      providers: [SystemProcessor],
    };
  }
}
