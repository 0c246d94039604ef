import { Module } from '@nestjs/common';
import { BillingSourcesController } from './api/billing-sources.controller';
import { BillingUploadsController } from './api/billing-uploads.controller';
import { BillingSourcesService } from './sources/billing-sources.service';
import { BillingSyncService } from './sources/billing-sync.service';

/** The billing REST api (sources, sync requests and history, uploads). Needs the global StorageModule. */
@Module({
  controllers: [BillingSourcesController, BillingUploadsController],
  providers: [BillingSourcesService, BillingSyncService],
})
export class BillingApiModule {}
