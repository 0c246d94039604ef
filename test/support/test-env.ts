import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { TEST_ADMIN_TOKEN } from './api-auth';

/**
 * Store targets every integration test runs against: always the embedded stores; also the real PostgreSQL and/or
 * Redis when DATABASE_URL / REDIS_URL are set (CI sets both). ClickHouse is always chDB (no server here).
 * Each target gets its own temp data dir, a fresh Postgres database and a unique queue prefix, so runs never
 * see each other's data.
 */
export interface StoreTarget {
  name: string;
  /** Environment to pass to loadConfig/launch. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export type TargetFactory = { name: string; create(): Promise<StoreTarget> };

const serverPostgres = process.env.DATABASE_URL;
const serverRedis = process.env.REDIS_URL;

export function tempDir(prefix = 'tollgate-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Creates a throwaway database on the real server and returns its URL. */
export async function createTestDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tollgate_t_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

const baseEnv = (dataDir: string): Record<string, string> => ({
  TOLLGATE_DATA_DIR: dataDir,
  API_PORT: '0',
  PROXY_PORT: '0',
  WORKER_PORT: '0',
  LOG_LEVEL: 'warn',
  QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
  SHUTDOWN_TIMEOUT_MS: '20000',
  // Two test files share two cores with their embedded engines; a loaded machine is not a store outage.
  READINESS_TIMEOUT_MS: '30000',
  // Headless bootstrap: the api accepts this as an admin token (see api-auth.ts), as automation would set it.
  TOLLGATE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
});

export const embeddedTarget: TargetFactory = {
  name: 'embedded',
  async create() {
    const dataDir = tempDir();
    return { name: 'embedded', env: baseEnv(dataDir), cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

export const serverTarget: TargetFactory | undefined =
  serverPostgres || serverRedis
    ? {
        name: `servers(${[serverPostgres && 'postgres', serverRedis && 'redis'].filter(Boolean).join('+')})`,
        async create() {
          const dataDir = tempDir();
          const env = baseEnv(dataDir);
          let drop = async () => undefined as void;
          if (serverPostgres) {
            const db = await createTestDatabase(serverPostgres);
            env.DATABASE_URL = db.url;
            drop = db.drop;
          }
          if (serverRedis) env.REDIS_URL = serverRedis;
          return {
            name: this.name,
            env,
            async cleanup() {
              await drop();
              rmSync(dataDir, { recursive: true, force: true });
            },
          };
        },
      }
    : undefined;

/** The targets an integration test iterates over (sequentially: chDB holds one data dir per process). */
export const storeTargets: TargetFactory[] = [embeddedTarget, ...(serverTarget ? [serverTarget] : [])];

/**
 * A loopback port with nothing listening on it: a store that is down, or an app not up yet. Taken below the kernel's
 * ephemeral range, so no `listen(0)` or outgoing connection of a test running in parallel can land on it between now
 * and when the test uses it (a port from `listen(0)`, released, could be handed out again at once). Checked by binding.
 */
export async function unusedLoopbackPort(): Promise<number> {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // not Linux: keep the usual default
  }
  const low = 10_000;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * Math.max(ephemeralLow - low, 1));
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
  throw new Error(`no free loopback port below ${ephemeralLow} after 50 tries`);
}
