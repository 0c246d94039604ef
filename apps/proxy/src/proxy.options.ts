import { z } from 'zod';
import { ConfigError } from '@tollgate/core';
import { ProxyOptions } from './proxy.starter';

/**
 * Settings only a separately-run proxy reads (the shared config covers the rest, incl. TOLLGATE_COLLECTOR_TOKEN):
 * where the api is and the token (scope `proxy`) that authenticates the catalogue channel.
 */
const proxyEnvSchema = z.object({
  TOLLGATE_API_URL: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
  TOLLGATE_PROXY_TOKEN: z.string().min(16, 'must be at least 16 characters'),
});

export function loadProxyOptions(env: Record<string, string | undefined>): ProxyOptions {
  const parsed = proxyEnvSchema.safeParse({ TOLLGATE_API_URL: env.TOLLGATE_API_URL || undefined, TOLLGATE_PROXY_TOKEN: env.TOLLGATE_PROXY_TOKEN || undefined });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid proxy configuration — ${problems.join('; ')}`, problems);
  }
  return { apiUrl: parsed.data.TOLLGATE_API_URL, apiToken: parsed.data.TOLLGATE_PROXY_TOKEN };
}
