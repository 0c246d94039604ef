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
  /**
   * An admin API token accepted at start (stored hashed): headless bootstrap for automation. In embedded mode without
   * it, one is generated into `<TOLLGATE_DATA_DIR>/admin-token`. Server stores need it or TOLLGATE_ADMIN_PASSWORD.
   */
  TOLLGATE_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Password of the first console admin (TOLLGATE_ADMIN_EMAIL), created when no user exists yet. */
  TOLLGATE_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  TOLLGATE_ADMIN_EMAIL: z.string().trim().toLowerCase().min(1).default('admin@localhost'),
  /** How long a console session lasts after login. */
  TOLLGATE_SESSION_TTL_HOURS: z.coerce.number().min(0.01).max(24 * 30).default(12),
  /** `auto`: session cookies are Secure when the request came over TLS (X-Forwarded-Proto counts with TOLLGATE_TRUST_PROXY). */
  TOLLGATE_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  /** Express `trust proxy`: `true`, `false`, a hop count or a list of addresses of the TLS-terminating proxies. */
  TOLLGATE_TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  /** Browser origins allowed to call the api cross-origin (comma-separated, e.g. `https://console.example.com`); none by default. */
  TOLLGATE_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((list) => list.every((o) => /^https?:\/\/[^/]+$/.test(o)), { message: 'each origin must be scheme://host[:port], no path' }),
  /** Requests per minute each API token or console session may make to the api (0 turns the limit off). */
  TOLLGATE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  /** Login attempts per minute per client address. */
  TOLLGATE_LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  /** Optional OIDC login: the issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
  TOLLGATE_OIDC_ISSUER: optionalUrl(['http', 'https']),
  TOLLGATE_OIDC_CLIENT_ID: z.string().min(1).optional(),
  TOLLGATE_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Where the identity provider sends the browser back: `<api url>/v1/auth/oidc/callback`. */
  TOLLGATE_OIDC_REDIRECT_URL: optionalUrl(['http', 'https']),
  /** ID-token claim holding the user's groups or roles. */
  TOLLGATE_OIDC_ROLE_CLAIM: z.string().min(1).default('roles'),
  /** `claim value=role` pairs (e.g. `finops-admins=admin,finance=finance`); a user matching none is refused. */
  TOLLGATE_OIDC_ROLE_MAP: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((pair) => pair.trim()).filter(Boolean).map((pair) => pair.split('=').map((s) => s.trim())))
    .refine((pairs) => pairs.every((p) => p.length === 2 && p[0] !== '' && ['viewer', 'finance', 'approver', 'admin'].includes(p[1])), {
      message: 'must be comma-separated value=role pairs, role one of viewer, finance, approver, admin',
    })
    .transform((pairs) => Object.fromEntries(pairs) as Record<string, 'viewer' | 'finance' | 'approver' | 'admin'>),
  /** How long /readyz waits for each store before reporting it down (the embedded PGlite serves one query at a time). */
  READINESS_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** How long SIGTERM waits for in-flight work before giving up. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(15000),
  /** Time a client has to send a request's headers to api, proxy or worker (slow clients cannot hold sockets). */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  /** Time a client has to send a whole request, body included (a large billing upload over a slow link needs minutes). */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(600_000),
  /** Open connections each server accepts at most; further ones are dropped at accept. */
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(4096),
  /** Largest billing upload accepted (bytes); a bigger body is refused with 413 while it streams, before it is written past this. */
  BILLING_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(1024 * 1024 * 1024),
  /**
   * Directories a local-files billing source may read, comma-separated absolute paths; unset means
   * `<TOLLGATE_DATA_DIR>/billing/local`. Paths are resolved through symlinks and must stay inside one of them.
   */
  BILLING_LOCAL_ROOTS: z
    .string()
    .transform((v) => v.split(',').map((p) => p.trim()).filter(Boolean))
    .refine((roots) => roots.length > 0 && roots.every((r) => r.startsWith('/')), { message: 'must be comma-separated absolute paths' })
    .optional(),
  /**
   * Hosts billing sources may call (OpenCost, S3, Azure Blob, Azure Cost Management and its authority host, BigQuery,
   * Cost Explorer), comma-separated: exact names, `*.suffix` wildcards, IP literals, and `default` for the clouds'
   * public endpoints. Loopback and private addresses are only reachable when listed.
   */
  BILLING_EGRESS_ALLOWED_HOSTS: z
    .string()
    .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
    .refine((hosts) => hosts.every((h) => /^(\*\.)?[a-z0-9.:[\]_-]+$/.test(h)), { message: 'must be comma-separated host names, *.suffix wildcards or IP addresses' })
    .default(['default']),
  /**
   * During a key rotation: the key TOLLGATE_SECRET_KEY replaces. Stored credentials still decrypt with it, and are
   * re-encrypted under TOLLGATE_SECRET_KEY at start; unset it once a start has logged the rotation done.
   */
  TOLLGATE_SECRET_KEY_PREVIOUS: secretKey.optional(),
});

export type AppConfig = z.infer<typeof configSchema>;

/** OIDC needs all four of issuer, client id, client secret and redirect URL, or none. */
export const OIDC_VARIABLES = ['TOLLGATE_OIDC_ISSUER', 'TOLLGATE_OIDC_CLIENT_ID', 'TOLLGATE_OIDC_CLIENT_SECRET', 'TOLLGATE_OIDC_REDIRECT_URL'] as const;
