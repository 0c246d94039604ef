import { z } from 'zod';
import { ConfigError } from '@tollgate/core';
import { ProxyOptions } from './proxy.starter';

/**
 * Settings only a separately-run proxy reads (the shared config covers the rest, incl. TOLLGATE_COLLECTOR_TOKEN):
 * where the api is and, optionally, an API token of scope `proxy` for the catalogue channel (by default the proxy
 * derives the channel token from TOLLGATE_SECRET_KEY, which it shares with the api).
 */
export const proxyEnvSchema = z.object({
  /**
   * Unset: the proxy reads the catalogue from PostgreSQL and writes telemetry to ClickHouse itself (it has the store
   * URLs and TOLLGATE_SECRET_KEY), as in the all-in-one process.
   */
  TOLLGATE_API_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
    .optional(),
  /** Unset: the token derived from TOLLGATE_SECRET_KEY (shared with the api) is used. */
  TOLLGATE_PROXY_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

export function loadProxyOptions(env: Record<string, string | undefined>): ProxyOptions {
  const parsed = proxyEnvSchema.safeParse({ TOLLGATE_API_URL: env.TOLLGATE_API_URL || undefined, TOLLGATE_PROXY_TOKEN: env.TOLLGATE_PROXY_TOKEN || undefined });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid proxy configuration — ${problems.join('; ')}`, problems);
  }
  if (!parsed.data.TOLLGATE_API_URL) return {};
  return { apiUrl: parsed.data.TOLLGATE_API_URL, apiToken: parsed.data.TOLLGATE_PROXY_TOKEN };
}
