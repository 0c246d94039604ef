import { Inject, Module, Optional, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { PricingService, StaticPriceOverrideSource } from '@tollgate/pricing';
import { CLICKHOUSE } from '@tollgate/storage';
import { ClickHouseTelemetryWriter, RequestLookupService, TelemetryIngestService, UsageQueryService } from '@tollgate/telemetry';
import { TelemetryCollectorController } from './telemetry-collector.controller';
import { RequestsController } from './requests.controller';
import { UsageController } from './usage.controller';

export const TELEMETRY_PRICING = Symbol('TELEMETRY_PRICING');

/** Owns the writer's and the pricing snapshot's lifetimes: pricing started and rollups repaired at boot, writer flushed at shutdown. */
class TelemetryLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(ClickHouseTelemetryWriter) private readonly writer: ClickHouseTelemetryWriter,
    @Inject(TELEMETRY_PRICING) private readonly pricing: PricingService,
    @Optional() @Inject(PricingService) private readonly shared?: PricingService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.pricing.start();
    // Rollups that a crash left behind the raw table are rebuilt in the background before the first batch is written
    // (usage reads are exact once it is done); a failure is logged by the writer and the repair tried again later.
    void this.writer.reconcile().catch(() => undefined);
  }

  /** After the HTTP server stopped accepting: write what is buffered (rejects, and is logged, if it cannot). */
  async onApplicationShutdown(): Promise<void> {
    // The pricing module owns the shared service's lifetime; only a fallback instance is ours to stop.
    if (this.pricing !== this.shared) this.pricing.stop();
    await this.writer.close();
  }
}

@Module({
  controllers: [TelemetryCollectorController, UsageController, RequestsController],
  providers: [
    { provide: ClickHouseTelemetryWriter, useFactory: (clickhouse: ClickHouseClient) => new ClickHouseTelemetryWriter(clickhouse), inject: [CLICKHOUSE] },
    // The pricing module's PricingService (catalog + PostgreSQL overrides) when the app imports it; the bundled
    // catalog alone otherwise (e.g. a process without the pricing module), never no pricing at all.
    {
      provide: TELEMETRY_PRICING,
      useFactory: (shared?: PricingService) => shared ?? new PricingService(new StaticPriceOverrideSource()),
      inject: [{ token: PricingService, optional: true }],
    },
    {
      provide: TelemetryIngestService,
      useFactory: (writer: ClickHouseTelemetryWriter, pricing: PricingService) => new TelemetryIngestService(writer, pricing),
      inject: [ClickHouseTelemetryWriter, TELEMETRY_PRICING],
    },
    { provide: UsageQueryService, useFactory: (clickhouse: ClickHouseClient) => new UsageQueryService(clickhouse), inject: [CLICKHOUSE] },
    { provide: RequestLookupService, useFactory: (clickhouse: ClickHouseClient) => new RequestLookupService(clickhouse), inject: [CLICKHOUSE] },
    TelemetryLifecycle,
  ],
})
export class TelemetryApiModule {}
