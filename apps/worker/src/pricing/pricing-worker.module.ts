import { Module } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { AuditModule } from '@tollgate/audit';
import { PricingModule, PricingService } from '@tollgate/pricing';
import { CLICKHOUSE } from '@tollgate/storage';
import { LlmRequestRestatementService } from '@tollgate/telemetry';
import { PriceRestatementProcessor } from './price-restatement.processor';

/** Price restatements: pricing's outbox and jobs, applied to `llm_requests` by telemetry's restatement service. */
@Module({
  imports: [PricingModule, AuditModule],
  providers: [
    {
      provide: LlmRequestRestatementService,
      useFactory: (clickhouse: ClickHouseClient, pricing: PricingService) => new LlmRequestRestatementService(clickhouse, pricing),
      inject: [CLICKHOUSE, PricingService],
    },
    PriceRestatementProcessor,
  ],
})
export class PricingWorkerModule {}
