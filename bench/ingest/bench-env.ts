import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A fresh embedded data dir and the env to launch on it (quiet logs, ephemeral ports, a known collector token). */
export function benchEnv(name: string) {
  const dataDir = mkdtempSync(join(tmpdir(), `tollgate-bench-${name}-`));
  const collectorToken = `bench-${randomBytes(16).toString('hex')}`;
  return {
    dataDir,
    collectorToken,
    vars: {
      TOLLGATE_DATA_DIR: dataDir,
      API_PORT: '0',
      PROXY_PORT: '0',
      WORKER_PORT: '0',
      LOG_LEVEL: process.argv[4] ?? 'error',
      TOLLGATE_COLLECTOR_TOKEN: collectorToken,
    } as Record<string, string>,
  };
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig, NestLoggerAdapter, setLogLevel } from '@tollgate/core';
import { serverUrl } from '@tollgate/runtime';
import { StorageModule, Stores } from '@tollgate/storage';
import { DomainErrorFilter } from '../../apps/api/src/errors/domain-error.filter';
import { TelemetryApiModule } from '../../apps/api/src/telemetry/telemetry-api.module';

/**
 * The API's telemetry endpoints exactly as apps/api serves them (same module, same error filter, same body limit),
 * without the other API modules, so a bench measures telemetry alone and does not depend on unrelated work.
 */
export async function startTelemetryApi(vars: Record<string, string>) {
  const config = loadConfig(vars);
  setLogLevel(config.LOG_LEVEL);
  const stores = await Stores.open(config);
  await stores.migrate();
  await stores.initializeDataSource([]);
  @Module({ imports: [StorageModule.forStores(stores), TelemetryApiModule], providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }] })
  class BenchApiModule {}
  const app = await NestFactory.create<NestExpressApplication>(BenchApiModule, { logger: new NestLoggerAdapter(), bodyParser: true });
  app.useBodyParser('json', { limit: '10mb' });
  await app.listen(0, '127.0.0.1');
  return {
    stores,
    url: serverUrl(app.getHttpServer()),
    async stop() {
      await app.close();
      await stores.close();
    },
  };
}
