import { DynamicModule, Module } from '@nestjs/common';
import { StorageModule, Stores } from '@tollgate/storage';
import { WorkerHealthController } from './health/worker-health.controller';
import { SystemProcessor } from './processors/system.processor';

@Module({})
export class WorkerModule {
  static forStores(stores: Stores): DynamicModule {
    return {
      module: WorkerModule,
      imports: [StorageModule.forStores(stores)],
      controllers: [WorkerHealthController],
      providers: [SystemProcessor],
    };
  }
}
