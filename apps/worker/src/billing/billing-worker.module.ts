import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditModule } from '@tollgate/audit';
import { BillingSourcesService, BillingSyncService, SELF_HOSTED_DEPLOYMENTS, SelfHostedDeploymentSource } from '@tollgate/billing';
import { SelfHostedDeploymentsService } from '@tollgate/providers';
import { BillingSyncProcessor } from './billing-sync.processor';

/**
 * The billing-sync processor. Needs the global StorageModule. Billing's OpenCost sync learns the self-hosted
 * deployments from providers, through billing's port.
 */
@Module({
  imports: [AuditModule],
  providers: [
    BillingSourcesService,
    BillingSyncService,
    BillingSyncProcessor,
    { provide: SELF_HOSTED_DEPLOYMENTS, useFactory: (ds: DataSource): SelfHostedDeploymentSource => new SelfHostedDeploymentsService(ds), inject: [DataSource] },
  ],
})
export class BillingWorkerModule {}
