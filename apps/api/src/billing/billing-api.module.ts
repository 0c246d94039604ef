import { Module } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { DataSource } from 'typeorm';
import { AuditModule } from '@tollgate/audit';
import { BillingSourcesService, BillingSyncService, LedgerCostsService, SELF_HOSTED_DEPLOYMENTS, SelfHostedDeploymentSource } from '@tollgate/billing';
import { SelfHostedDeploymentsService } from '@tollgate/providers';
import { CLICKHOUSE } from '@tollgate/storage';
import { BillingCostsController } from './billing-costs.controller';
import { BillingSourcesController } from './billing-sources.controller';
import { BillingUploadsController } from './billing-uploads.controller';

/**
 * The billing REST api (sources, sync requests and history, uploads, ledger costs). Needs the global StorageModule. Billing's
 * OpenCost sync learns the self-hosted deployments from providers, through billing's port.
 */
@Module({
  imports: [AuditModule],
  controllers: [BillingSourcesController, BillingUploadsController, BillingCostsController],
  providers: [
    BillingSourcesService,
    BillingSyncService,
    { provide: LedgerCostsService, useFactory: (clickhouse: ClickHouseClient) => new LedgerCostsService(clickhouse), inject: [CLICKHOUSE] },
    { provide: SELF_HOSTED_DEPLOYMENTS, useFactory: (ds: DataSource): SelfHostedDeploymentSource => new SelfHostedDeploymentsService(ds), inject: [DataSource] },
  ],
})
export class BillingApiModule {}
