import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PublicRoute } from '@tollgate/auth';
import { healthController } from '@tollgate/runtime';
import { StorageModule, Stores } from '@tollgate/storage';
import { AccessApiModule } from './access/access-api.module';
import { BillingApiModule } from './billing/billing-api.module';
import { DomainErrorFilter } from './errors/domain-error.filter';
import { ApiIndexController } from './openapi/api-index.controller';
import { PricingApiModule } from './pricing/pricing-api.module';
import { ProvidersApiModule } from './providers/providers-api.module';
import { TelemetryApiModule } from './telemetry/telemetry-api.module';

@Module({})
export class ApiModule {
  static forStores(stores: Stores): DynamicModule {
    // Health is the one public surface besides login: probes carry no credentials.
    const health = healthController('api');
    PublicRoute()(health);
    return {
      module: ApiModule,
      imports: [StorageModule.forStores(stores), AccessApiModule, PricingApiModule, ProvidersApiModule, TelemetryApiModule, BillingApiModule],
      controllers: [health, ApiIndexController],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
    };
  }
}
