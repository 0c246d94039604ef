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
