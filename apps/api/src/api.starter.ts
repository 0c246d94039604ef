import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AuthBootstrapNotice, AuthBootstrapService } from '@tollgate/auth';
import { NestLoggerAdapter, ShutdownCoordinator } from '@tollgate/core';
import { PRICING_ENTITIES } from '@tollgate/pricing';
import { BILLING_ENTITIES } from '@tollgate/billing';
import { AppStarter, serverUrl, applyServerLimits, serverLimitsOf } from '@tollgate/runtime';
import { Stores } from '@tollgate/storage';
import { ApiModule } from './api.module';
import { applyHttpSecurity } from './http/http-security.setup';
import { setupOpenApi } from './openapi/openapi.document';

/** The api's Nest application on open stores (security middleware, OpenAPI document and docs page), not yet listening. */
export async function createApiApp(stores: Stores): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forStores(stores), {
    logger: new NestLoggerAdapter(),
    bodyParser: true,
  });
  applyHttpSecurity(app, stores.config);
  app.useBodyParser('json', { limit: '10mb' });
  setupOpenApi(app);
  return app;
}

/** What a first start tells the person starting it (the platform prints it; it is never logged). */
export interface ApiBootstrapNotice {
  adminTokenFile?: string;
  adminEmail?: string;
  /** The one-time login link of the first admin, when it was created without a password. */
  loginLink?: string;
}

export interface ApiStarterOptions {
  onBootstrapNotice?: (notice: ApiBootstrapNotice) => void;
  /** Hands over the listening Nest app (tests read its router to enumerate every route). */
  onListening?: (app: NestExpressApplication) => void;
}

function linkOf(url: string, notice: AuthBootstrapNotice): ApiBootstrapNotice {
  const { loginLinkToken, ...rest } = notice;
  return loginLinkToken ? { ...rest, loginLink: `${url}/v1/auth/login-link?token=${encodeURIComponent(loginLinkToken)}` } : rest;
}

/** The REST API on API_PORT; first-start credentials (admin token, first admin, collector token) before it listens. */
export function createApiStarter(options: ApiStarterOptions = {}): AppStarter {
  return {
    name: 'api',
    entities: [...PRICING_ENTITIES, ...BILLING_ENTITIES],
    async start(stores: Stores, shutdown: ShutdownCoordinator) {
      const app = await createApiApp(stores);
      let notice: AuthBootstrapNotice;
      try {
        notice = await app.get(AuthBootstrapService).run();
      } catch (error) {
        await app.close();
        throw error;
      }
      applyServerLimits(app.getHttpServer(), serverLimitsOf(stores.config));
      await app.listen(stores.config.API_PORT, stores.config.HOST);
      shutdown.register('accept', 'api', () => app.close());
      const url = serverUrl(app.getHttpServer());
      if (Object.keys(notice).length) options.onBootstrapNotice?.(linkOf(url, notice));
      options.onListening?.(app);
      return { url };
    },
  };
}

export const apiStarter: AppStarter = createApiStarter();
