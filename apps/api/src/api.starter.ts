import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestLoggerAdapter, ShutdownCoordinator } from '@tollgate/core';
import { PRICING_ENTITIES } from '@tollgate/pricing';
import { BILLING_ENTITIES } from '@tollgate/billing';
import { AppStarter, serverUrl } from '@tollgate/runtime';
import { Stores } from '@tollgate/storage';
import { ApiModule } from './api.module';

/** Starts the REST API on API_PORT. */
export const apiStarter: AppStarter = {
  name: 'api',
  entities: [...PRICING_ENTITIES, ...BILLING_ENTITIES],
  async start(stores: Stores, shutdown: ShutdownCoordinator) {
    const app = await NestFactory.create<NestExpressApplication>(ApiModule.forStores(stores), {
      logger: new NestLoggerAdapter(),
      bodyParser: true,
    });
    app.useBodyParser('json', { limit: '10mb' });
    await app.listen(stores.config.API_PORT, stores.config.HOST);
    shutdown.register('accept', 'api', () => app.close());
    return { url: serverUrl(app.getHttpServer()) };
  },
};
