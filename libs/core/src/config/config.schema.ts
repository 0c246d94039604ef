import { z } from 'zod';

const secretKey = z
  .string()
  .refine((v) => /^[0-9a-fA-F]{64}$/.test(v) || (/^[A-Za-z0-9+/]{43}=?$/.test(v) && Buffer.from(v, 'base64').length === 32), {
    message: 'must be a 32-byte key: 64 hex characters or base64 (e.g. `openssl rand -hex 32`)',
  });
const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .optional()
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(`${p}://`)), {
      message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });

/**
 * Every environment variable Tollgate reads. Parsed once at boot by `loadConfig`; nothing else reads `process.env`.
 * The three store URLs are optional: unset means the embedded store under TOLLGATE_DATA_DIR.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  TOLLGATE_DATA_DIR: z.string().min(1).default('./.tollgate'),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  CLICKHOUSE_URL: optionalUrl(['http', 'https']),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier').default('tollgate'),
  /**
   * With CLICKHOUSE_URL: where the ClickHouse server sees `<TOLLGATE_DATA_DIR>/billing/work` (one volume mounted in
   * both, inside the server's user_files path). Billing files are read by ClickHouse itself, so local files and
   * uploads need it; the embedded chDB reads the data dir directly.
   */
  CLICKHOUSE_FILES_DIR: z.string().regex(/^\//, 'must be an absolute path').optional(),
  REDIS_URL: optionalUrl(['redis', 'rediss']),
  /** BullMQ key prefix, so several deployments (or test runs) can share one Redis. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').default('tollgate'),
  HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(4000),
  PROXY_PORT: port.default(4001),
  WORKER_PORT: port.default(4002),
  /** Port the embedded PostgreSQL (PGlite) listens on, loopback only; 0 picks a free one. */
  EMBEDDED_POSTGRES_PORT: port.default(0),
  /** Bearer token proxies and SDKs use for POST /v1/telemetry; unset in embedded mode means one is generated in the data dir. */
  TOLLGATE_COLLECTOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** 32-byte key (hex or base64) that encrypts provider and billing credentials at rest; generated in the data dir when unset. */
  TOLLGATE_SECRET_KEY: secretKey.optional(),
  /** How long /readyz waits for each store before reporting it down (the embedded PGlite serves one query at a time). */
  READINESS_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** How long SIGTERM waits for in-flight work before giving up. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(15000),
  /**
   * During a key rotation: the key TOLLGATE_SECRET_KEY replaces. Stored credentials still decrypt with it, and are
   * re-encrypted under TOLLGATE_SECRET_KEY at start; unset it once a start has logged the rotation done.
   */
  TOLLGATE_SECRET_KEY_PREVIOUS: secretKey.optional(),
});

export type AppConfig = z.infer<typeof configSchema>;
