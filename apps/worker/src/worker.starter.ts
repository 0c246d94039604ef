import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestLoggerAdapter, ShutdownCoordinator } from '@tollgate/core';
import { PRICING_ENTITIES } from '@tollgate/pricing';
import { BILLING_ENTITIES } from '@tollgate/billing';
import { AppStarter, serverUrl, applyServerLimits, serverLimitsOf } from '@tollgate/runtime';
import { Stores } from '@tollgate/storage';
import { WorkerModule } from './worker.module';

/** Starts the BullMQ processors, with /healthz and /readyz on WORKER_PORT. */
export const workerStarter: AppStarter = {
  name: 'worker',
  entities: [...PRICING_ENTITIES, ...BILLING_ENTITIES],
  async start(stores: Stores, shutdown: ShutdownCoordinator) {
    const app = await NestFactory.create<NestExpressApplication>(WorkerModule.forStores(stores), { logger: new NestLoggerAdapter() });
    applyServerLimits(app.getHttpServer(), serverLimitsOf(stores.config));
    await app.listen(stores.config.WORKER_PORT, stores.config.HOST);
    // app.close() runs the processors' shutdown hooks, which wait for their active jobs.
    shutdown.register('accept', 'worker', () => app.close());
    return { url: serverUrl(app.getHttpServer()) };
  },
};
