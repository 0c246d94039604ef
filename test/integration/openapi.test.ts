import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { DOCS_PATH, OPENAPI_JSON_PATH, createApiStarter, openApiPath } from '../../apps/api/src';
import { RunningProcess, launch } from '@tollgate/runtime';
import { StoreTarget, embeddedTarget } from '../support/test-env';

/**
 * The api's OpenAPI document against the running app: every route Express has registered is documented with its
 * method (and nothing else is), every example in the document validates against the schema beside it, and real
 * answers of the main routes validate against their documented schemas.
 */
type Operation = {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; schema?: object; example?: unknown }[];
  requestBody?: { content: Record<string, { schema?: object; example?: unknown; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, { content?: Record<string, { schema?: object; example?: unknown }> }>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

const ADMIN_TOKEN = randomBytes(32).toString('hex');

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('the OpenAPI document (/openapi.json) and the docs page (/docs)', () => {
  let target: StoreTarget;
  let running: RunningProcess;
  let app: NestExpressApplication;
  let api: string;
  let document: Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<object, ValidateFunction>();
  const validate = (schema: object, value: unknown): string | null => {
    let check = compiled.get(schema);
    if (!check) compiled.set(schema, (check = ajv.compile(schema)));
    return check(value) ? null : ajv.errorsText(check.errors);
  };

  before(async () => {
    target = await embeddedTarget.create();
    // The real api starter's app, kept so the test can read the routes Express registered.
    // The api as `npm start` runs it (its first-start bootstrap stores TOLLGATE_ADMIN_TOKEN as an admin token).
    const starter = createApiStarter({ onListening: (listening) => (app = listening) });
    running = await launch({ ...target.env, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN }, [starter]);
    api = running.urls.api;
    const response = await fetch(`${api}${OPENAPI_JSON_PATH}`);
    assert.equal(response.status, 200);
    document = (await response.json()) as Document;
  });

  after(async () => {
    await running?.stop();
    await target?.cleanup();
  });

  it('documents every route Express has registered, with its method, and no route that does not exist', () => {
    const stack = (app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } }).router.stack;
    const registered = new Set<string>();
    for (const layer of stack) {
      if (!layer.route) continue;
      const path = openApiPath(layer.route.path);
      // The document and the docs page themselves (registered by SwaggerModule) are not operations of the api.
      if (path === OPENAPI_JSON_PATH || path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`)) continue;
      for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') registered.add(`${method.toUpperCase()} ${path}`);
    }
    const documented = new Set(Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)));
    assert.ok(registered.size >= 25, `only ${registered.size} routes found in the Express stack`);
    assert.deepEqual([...registered].filter((r) => !documented.has(r)), [], 'registered routes missing from the document');
    assert.deepEqual([...documented].filter((r) => !registered.has(r)), [], 'documented routes that are not registered');
  });

  it('gives every operation a summary, a tag, a success response and its access, and errors the shared error body', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const name = `${method.toUpperCase()} ${path}`;
        assert.ok(op.summary, `${name}: summary`);
        assert.ok(op.tags?.length, `${name}: tags`);
        const statuses = Object.keys(op.responses);
        // A login redirect (3xx) is its route's success; it has no body.
        assert.ok(statuses.some((s) => /^[23]\d\d$/.test(s)), `${name}: a 2xx or 3xx response`);
        for (const status of statuses.filter((s) => !/^3\d\d$/.test(s))) assert.ok(op.responses[status].content, `${name}: response ${status} has a body schema`);
        // Public: health, the index and the login routes (marked @PublicRoute); every other operation names its scope.
        const isPublic = ['/', '/healthz', '/readyz', '/v1/auth/login', '/v1/auth/login-link', '/v1/auth/oidc/login', '/v1/auth/oidc/callback'].includes(path);
        assert.equal(op['x-tollgate-scope' as keyof typeof op] === undefined, isPublic, `${name}: x-tollgate-scope names its access`);
        assert.deepEqual(op.security, isPublic ? [] : [{ bearer: [] }], `${name}: security`);
        for (const status of statuses.filter((s) => Number(s) >= 400 && path !== '/readyz' && !(path === '/v1/telemetry' && s === '400'))) {
          const body = op.responses[status].content!['application/json'];
          assert.deepEqual(Object.keys((body.schema as { properties: object }).properties), ['error'], `${name} ${status}: the error body`);
        }
      }
    }
    assert.equal(document.openapi, '3.1.0');
  });

  it('every documented example validates against its schema', () => {
    let checked = 0;
    const check = (where: string, schema: object | undefined, example: unknown) => {
      if (schema === undefined || example === undefined) return;
      assert.equal(validate(schema, example), null, `${where}: example does not validate`);
      checked++;
    };
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const name = `${method.toUpperCase()} ${path}`;
        for (const p of op.parameters ?? []) check(`${name} ${p.in} ${p.name}`, p.schema, p.example);
        for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
          check(`${name} body ${type}`, media.schema, media.example);
          for (const [key, example] of Object.entries(media.examples ?? {})) check(`${name} body ${type} ${key}`, media.schema, example.value);
        }
        for (const [status, response] of Object.entries(op.responses)) {
          for (const [type, media] of Object.entries(response.content ?? {})) check(`${name} ${status} ${type}`, media.schema, media.example);
        }
      }
    }
    assert.ok(checked >= 100, `only ${checked} examples checked`);
  });

  it('real answers validate against the documented response schemas', async () => {
    const call = async (method: string, path: string, body?: unknown, docPath = path) => {
      const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
      const response = await fetch(`${api}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await response.json()) as any;
      // Every call here is the admin's: a 401 would mean the token was not accepted and the answers below prove nothing.
      assert.notEqual(response.status, 401, `${method} ${path}: the admin token was refused: ${JSON.stringify(json)}`);
      const documented = document.paths[docPath]?.[method.toLowerCase()]?.responses[String(response.status)];
      assert.ok(documented, `${method} ${docPath} answered ${response.status}, which is not documented: ${JSON.stringify(json)}`);
      assert.equal(validate(documented.content!['application/json'].schema!, json), null, `${method} ${docPath} ${response.status}: ${JSON.stringify(json)}`);
      return json;
    };
    await call('GET', '/');
    await call('GET', '/healthz');
    await call('GET', '/readyz');
    const provider = await call('POST', '/v1/providers', { name: 'openai', kind: 'openai', base_url: 'https://api.openai.com/v1', credentials: { apiKey: 'sk-test' } });
    await call('POST', '/v1/providers', { name: '', kind: 'nope' });
    await call('GET', '/v1/providers');
    await call('PUT', `/v1/providers/${provider.id}/credentials`, { apiKey: 'sk-other' }, '/v1/providers/{id}/credentials');
    await call('POST', `/v1/providers/${provider.id}/deployments`, { model: 'gpt-4o-mini' }, '/v1/providers/{id}/deployments');
    await call('GET', '/v1/deployments');
    const key = await call('POST', '/v1/keys', { name: 'checkout', defaults: { team: 'payments' } });
    await call('GET', '/v1/keys');
    const revoked = await call('DELETE', `/v1/keys/${key.id}`, undefined, '/v1/keys/{id}');
    assert.deepEqual(Object.keys(revoked), ['id', 'revoked_at'], JSON.stringify(revoked));
    assert.equal((await call('DELETE', `/v1/keys/${key.id}`, undefined, '/v1/keys/{id}')).error.type, 'not_found');
    assert.equal((await call('PUT', `/v1/providers/${key.id}/credentials`, { apiKey: 'sk' }, '/v1/providers/{id}/credentials')).error.type, 'not_found');
    await call('POST', '/v1/api-tokens', { name: 'ci', scope: 'admin' });
    await call('GET', `/v1/usage?from=2026-01-01&to=2026-02-01&group_by=feature,customer`, undefined, '/v1/usage');
    await call('GET', `/v1/usage?to=2026-02-01`, undefined, '/v1/usage');
    await call('GET', '/v1/prices/quote?provider=openai&model=gpt-4o-mini&input_tokens=12&output_tokens=5', undefined, '/v1/prices/quote');
    const override = await call('POST', '/v1/prices/overrides', { provider: 'openai', model: 'gpt-4o-mini', kind: 'discount', discount_percent: '10', effective_from: '2030-01-01T00:00:00Z' });
    await call('GET', '/v1/prices/overrides');
    await call('GET', `/v1/prices/overrides/${override.override.id}`, undefined, '/v1/prices/overrides/{id}');
    // A local-files source reads only under BILLING_LOCAL_ROOTS (default <data dir>/billing/local).
    const exportsDir = join(target.env.TOLLGATE_DATA_DIR, 'billing', 'local', 'exports');
    mkdirSync(exportsDir, { recursive: true });
    const source = await call('POST', '/v1/billing/sources', { name: 'exports', kind: 'local-files', settings: { path: exportsDir } });
    assert.equal((await call('POST', '/v1/billing/sources', { name: 'exports', kind: 'upload' }, '/v1/billing/sources')).error.type, 'conflict');
    await call('GET', '/v1/billing/sources');
    await call('GET', `/v1/billing/sources/${source.id}`, undefined, '/v1/billing/sources/{id}');
    await call('PATCH', `/v1/billing/sources/${source.id}`, { enabled: false }, '/v1/billing/sources/{id}');
    await call('GET', `/v1/billing/sources/${source.id}/runs`, undefined, '/v1/billing/sources/{id}/runs');
  });

  it('serves the Swagger UI page at /docs from its own assets (no CDN) and links it from GET /', async () => {
    const page = await fetch(`${api}${DOCS_PATH}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /swagger-ui/);
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(sources.length > 0);
    assert.deepEqual(sources.filter((s) => /^(https?:)?\/\//.test(s)), [], 'assets from another host');
    for (const asset of sources) {
      // Resolved as a browser resolves them against the page it loaded.
      const response = await fetch(new URL(asset, `${api}${DOCS_PATH}`));
      assert.equal(response.status, 200, asset);
    }
    const index = (await (await fetch(`${api}/`)).json()) as { docs: string; openapi: string };
    assert.deepEqual([index.docs, index.openapi], [DOCS_PATH, OPENAPI_JSON_PATH]);
  });
});
