import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditModule } from '@tollgate/audit';
import { BillingSourcesService, BillingSyncService, SELF_HOSTED_DEPLOYMENTS, SelfHostedDeploymentSource } from '@tollgate/billing';
import { SelfHostedDeploymentsService } from '@tollgate/providers';
import { BillingSourcesController } from './billing-sources.controller';
import { BillingUploadsController } from './billing-uploads.controller';

/**
 * The billing REST api (sources, sync requests and history, uploads). Needs the global StorageModule. Billing's
 * OpenCost sync learns the self-hosted deployments from providers, through billing's port.
 */
@Module({
  imports: [AuditModule],
  controllers: [BillingSourcesController, BillingUploadsController],
  providers: [
    BillingSourcesService,
    BillingSyncService,
    { provide: SELF_HOSTED_DEPLOYMENTS, useFactory: (ds: DataSource): SelfHostedDeploymentSource => new SelfHostedDeploymentsService(ds), inject: [DataSource] },
  ],
})
export class BillingApiModule {}
