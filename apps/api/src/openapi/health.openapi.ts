import type { OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { jsonSchemaOf } from './zod-openapi';

const checkSchema = z.object({ ok: z.boolean(), mode: z.string(), ms: z.number(), error: z.string().optional() });
const readinessSchema = z.object({
  app: z.string(),
  ready: z.boolean(),
  checks: z.record(z.string(), checkSchema).describe('postgres, clickhouse, queue, migrations (and app-specific checks)'),
});
const healthSchema = z.object({ status: z.literal('ok'), app: z.string() });

const readyExample = {
  app: 'api',
  ready: true,
  checks: {
    postgres: { ok: true, mode: 'embedded', ms: 2 },
    clickhouse: { ok: true, mode: 'embedded', ms: 1 },
    queue: { ok: true, mode: 'postgres', ms: 3 },
    migrations: { ok: true, mode: 'applied', ms: 4 },
  },
};

/**
 * `/healthz` and `/readyz` come from @tollgate/runtime's health controller, shared with the proxy and the worker,
 * which serve no document; their operations are described here, on the api's document only.
 */
export function documentHealthRoutes(document: OpenAPIObject): void {
  const json = (schema: z.ZodType, example: unknown) => ({ 'application/json': { schema: jsonSchemaOf(schema), example } });
  const healthz = document.paths['/healthz']?.get;
  if (healthz) {
    Object.assign(healthz, {
      tags: ['health'],
      summary: 'Liveness: the process answers (no store is touched)',
      responses: { 200: { description: 'Alive', content: json(healthSchema, { status: 'ok', app: 'api' }) } },
    });
  }
  const readyz = document.paths['/readyz']?.get;
  if (readyz) {
    Object.assign(readyz, {
      tags: ['health'],
      summary: 'Readiness: every store reachable and every migration applied',
      responses: {
        200: { description: 'Ready', content: json(readinessSchema, readyExample) },
        503: {
          description: 'Not ready: the failing checks say why',
          content: json(readinessSchema, { ...readyExample, ready: false, checks: { ...readyExample.checks, clickhouse: { ok: false, mode: 'server', ms: 5000, error: 'timed out after 5000 ms' } } }),
        },
      },
    });
  }
}
