import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestLoggerAdapter, ShutdownCoordinator } from '@tollgate/core';
import { PRICING_ENTITIES } from '@tollgate/pricing';
import { BILLING_ENTITIES } from '@tollgate/billing';
import { AppStarter, serverUrl } from '@tollgate/runtime';
import { Stores } from '@tollgate/storage';
import { ApiModule } from './api.module';
import { setupOpenApi } from './openapi/openapi.document';

/** The api's Nest application on open stores, with its OpenAPI document and docs page, not yet listening. */
export async function createApiApp(stores: Stores): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forStores(stores), {
    logger: new NestLoggerAdapter(),
    bodyParser: true,
  });
  app.useBodyParser('json', { limit: '10mb' });
  setupOpenApi(app);
  return app;
}

/** Starts the REST API on API_PORT. */
export const apiStarter: AppStarter = {
  name: 'api',
  entities: [...PRICING_ENTITIES, ...BILLING_ENTITIES],
  async start(stores: Stores, shutdown: ShutdownCoordinator) {
    const app = await createApiApp(stores);
    await app.listen(stores.config.API_PORT, stores.config.HOST);
    shutdown.register('accept', 'api', () => app.close());
    return { url: serverUrl(app.getHttpServer()) };
  },
};
