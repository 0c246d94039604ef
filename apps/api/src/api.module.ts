import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { healthController } from '@tollgate/runtime';
import { StorageModule, Stores } from '@tollgate/storage';
import { BillingApiModule } from './billing/billing-api.module';
import { DomainErrorFilter } from './errors/domain-error.filter';
import { ApiIndexController } from './openapi/api-index.controller';
import { PricingApiModule } from './pricing/pricing-api.module';
import { ProvidersApiModule } from './providers/providers-api.module';
import { TelemetryApiModule } from './telemetry/telemetry-api.module';

@Module({})
export class ApiModule {
  static forStores(stores: Stores): DynamicModule {
    return {
      module: ApiModule,
      imports: [StorageModule.forStores(stores), PricingApiModule, ProvidersApiModule, TelemetryApiModule, BillingApiModule],
      controllers: [healthController('api'), ApiIndexController],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
    };
  }
}
