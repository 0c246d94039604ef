import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { StorageModule, Stores } from '@tollgate/storage';
import { DomainErrorFilter } from './errors/domain-error.filter';
import { HealthController } from './health/health.controller';
import { TelemetryApiModule } from './telemetry/telemetry-api.module';

@Module({})
export class ApiModule {
  static forStores(stores: Stores): DynamicModule {
    return {
      module: ApiModule,
      imports: [StorageModule.forStores(stores), TelemetryApiModule],
      controllers: [HealthController],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
    };
  }
}
