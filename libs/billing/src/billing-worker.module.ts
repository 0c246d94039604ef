import { Module } from '@nestjs/common';
import { BillingSourcesService } from './sources/billing-sources.service';
import { BillingSyncService } from './sources/billing-sync.service';
import { BillingSyncProcessor } from './worker/billing-sync.processor';

/** The billing-sync processor for the worker app. Needs the global StorageModule. */
@Module({
  providers: [BillingSourcesService, BillingSyncService, BillingSyncProcessor],
})
export class BillingWorkerModule {}
