import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApiStarter } from '../../apps/api/src';
import { launch, RunningProcess } from '@tollgate/runtime';
import { serverTarget, StoreTarget, storeTargets } from '../support/test-env';
import { adminAuth } from '../support/api-auth';

/** Every route the api's Express router holds, as `METHOD /path` with its parameters named. */
function registeredRoutes(app: NestExpressApplication): Array<{ method: string; path: string }> {
  const router = (app.getHttpAdapter().getInstance() as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router;
  const routes: Array<{ method: string; path: string }> = [];
  for (const layer of router.stack) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: layer.route.path });
  }
  return routes;
}

/** The routes anyone may call: probes and the ways to log in (OIDC answers 404 while it is not configured). */
const PUBLIC = ['GET /', 'GET /healthz', 'GET /readyz', 'POST /v1/auth/login', 'GET /v1/auth/login-link', 'GET /v1/auth/oidc/login', 'GET /v1/auth/oidc/callback'];

/**
 * The least scope each route requires (the mapping the README documents). Asserted route by route from the answers
 * to tokens of every scope, so a route whose access changes fails here by name.
 */
const REQUIRED: Record<string, string> = {
  'POST /v1/telemetry': 'collector',
  'GET /v1/internal/proxy-catalogue': 'proxy',
  'GET /v1/usage': 'read',
  'GET /v1/providers': 'read',
  'GET /v1/deployments': 'read',
  'GET /v1/keys': 'read',
  'GET /v1/prices/overrides': 'read',
  'GET /v1/prices/overrides/:id': 'read',
  'GET /v1/prices/restatements/:jobId': 'read',
  'GET /v1/prices/quote': 'read',
  'GET /v1/billing/sources': 'read',
  'GET /v1/billing/sources/:id': 'read',
  'GET /v1/billing/sources/:id/runs': 'read',
  'GET /v1/requests': 'read',
  'GET /v1/requests/:id': 'read',
  'GET /v1/billing/costs': 'read',
  'GET /v1/auth/me': 'read',
  'POST /v1/auth/logout': 'read',
  'POST /v1/providers': 'write',
  'POST /v1/providers/:id/deployments': 'write',
  'POST /v1/keys': 'write',
  'DELETE /v1/keys/:id': 'write',
  'POST /v1/prices/overrides': 'write',
  'PATCH /v1/prices/overrides/:id': 'write',
  'DELETE /v1/prices/overrides/:id': 'write',
  'POST /v1/billing/sources': 'write',
  'PATCH /v1/billing/sources/:id': 'write',
  'POST /v1/billing/sources/:id/sync': 'write',
  'POST /v1/billing/uploads': 'write',
  'DELETE /v1/billing/sources/:id': 'write',
  'PATCH /v1/keys/:id': 'admin',
  'PUT /v1/providers/:id/credentials': 'admin',
  'POST /v1/api-tokens': 'admin',
  'GET /v1/api-tokens': 'admin',
  'DELETE /v1/api-tokens/:id': 'admin',
  'POST /v1/users': 'admin',
  'GET /v1/users': 'admin',
  'PATCH /v1/users/:id': 'admin',
  'GET /v1/audit': 'admin',
};

const SCOPES = ['collector', 'proxy', 'read', 'write', 'admin'] as const;

for (const factory of storeTargets) {
  describe(`api access control on ${factory.name} stores`, () => {
    let target: StoreTarget;
    let running: RunningProcess;
    let app: NestExpressApplication;
    let api: string;
    const tokens: Record<string, string> = {};

    before(async () => {
      target = await factory.create();
      running = await launch(target.env, [createApiStarter({ onListening: (a) => (app = a) })]);
      api = running.urls.api;
      for (const scope of SCOPES) {
        const res = await fetch(`${api}/v1/api-tokens`, { method: 'POST', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify({ name: `probe-${scope}`, scope }) });
        assert.equal(res.status, 201, await res.clone().text());
        tokens[scope] = ((await res.json()) as { token: string }).token;
      }
    });
    after(async () => {
      await running?.stop();
      await target?.cleanup();
    });

    const call = (method: string, path: string, headers: Record<string, string> = {}) =>
      fetch(`${api}${path.replace(/:id\b/g, randomUUID()).replace(':jobId', 'no-such-job')}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
        redirect: 'manual',
      });

    it('every registered route refuses an anonymous request (401) and a token without its scope (403); only health and login are public', async () => {
      // The OpenAPI document and its docs page are public by design; Swagger registers them on Express, outside Nest.
      const routes = registeredRoutes(app).filter((r) => r.path !== '/openapi.json' && r.path !== '/docs' && !r.path.startsWith('/docs/'));
      const names = routes.map((r) => `${r.method} ${r.path}`);
      assert.deepEqual(new Set(names), new Set([...PUBLIC, ...Object.keys(REQUIRED)]), 'a new route needs a line in REQUIRED (and the README)');
      const observed: Record<string, string> = {};
      for (const { method, path } of routes) {
        const name = `${method} ${path}`;
        const anonymous = await call(method, path);
        if (PUBLIC.includes(name)) {
          assert.notEqual(anonymous.status, 401, `${name} is public`);
          assert.notEqual(anonymous.status, 403, `${name} is public`);
          continue;
        }
        assert.equal(anonymous.status, 401, `${name} anonymous`);
        const admitted: string[] = [];
        for (const scope of SCOPES) {
          const res = await call(method, path, { authorization: `Bearer ${tokens[scope]}` });
          assert.notEqual(res.status, 401, `${name} with a live ${scope} token`);
          if (res.status !== 403) admitted.push(scope);
        }
        assert.ok(admitted.length < SCOPES.length, `${name} refuses some scope with 403`);
        observed[name] = admitted[0];
        const expected = { collector: ['collector'], proxy: ['proxy'], read: ['read', 'write', 'admin'], write: ['write', 'admin'], admin: ['admin'] }[REQUIRED[name]];
        assert.deepEqual(admitted, expected, `${name} admits exactly the scopes that include ${REQUIRED[name]}`);
        const bogus = await call(method, path, { authorization: 'Bearer tgt_not-a-token-anyone-issued' });
        assert.equal(bogus.status, 401, `${name} with an unknown token`);
      }
      assert.deepEqual(observed, REQUIRED);
    });

    it("the issue's attack fails: no anonymous proxy-token mint, no credentials for a non-proxy token", async () => {
      const mint = await fetch(`${api}/v1/api-tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', scope: 'proxy' }) });
      assert.equal(mint.status, 401);
      const byWriter = await fetch(`${api}/v1/api-tokens`, { method: 'POST', headers: { authorization: `Bearer ${tokens.write}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', scope: 'proxy' }) });
      assert.equal(byWriter.status, 403);
      for (const scope of ['read', 'write', 'admin', 'collector']) {
        assert.equal((await call('GET', '/v1/internal/proxy-catalogue', { authorization: `Bearer ${tokens[scope]}` })).status, 403, scope);
      }
      assert.equal((await call('GET', '/v1/internal/proxy-catalogue', { authorization: `Bearer ${tokens.proxy}` })).status, 200);
    });

    it('audit entries name the authenticated principal, never a header; GET /v1/audit filters and pages', async () => {
      const created = await fetch(`${api}/v1/providers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.write}`, 'content-type': 'application/json', 'x-tollgate-actor': 'cfo@example.com' },
        body: JSON.stringify({ name: 'audited', kind: 'openai', base_url: 'http://127.0.0.1:9' }),
      });
      assert.ok(created.status < 300, await created.clone().text());
      const provider = (await created.json()) as { id: string };
      const audit = async (qs: string) => {
        const res = await fetch(`${api}/v1/audit?${qs}`, { headers: adminAuth() });
        assert.equal(res.status, 200, await res.clone().text());
        return (await res.json()) as { entries: Array<{ id: string; actor: string; action: string; entity: string; entity_id: string }>; next_cursor: string | null };
      };
      const forProvider = await audit(`entity=provider&entity_id=${provider.id}`);
      assert.deepEqual(
        forProvider.entries.map((e) => [e.actor, e.action]),
        [['token:probe-write', 'provider.create']],
      );
      const tokenEntries = await audit('entity=api_token&actor=token:TOLLGATE_ADMIN_TOKEN&limit=2');
      assert.deepEqual(tokenEntries.entries.map((e) => e.action), ['api_token.create', 'api_token.create']);
      assert.ok(tokenEntries.next_cursor, 'five tokens were issued: more than one page of two');
      const next = await audit(`entity=api_token&actor=token:TOLLGATE_ADMIN_TOKEN&limit=2&cursor=${tokenEntries.next_cursor}`);
      assert.ok(Number(next.entries[0].id) < Number(tokenEntries.entries[1].id), 'the next page is older');
      const future = await audit(`from=${encodeURIComponent('2999-01-01T00:00:00Z')}`);
      assert.deepEqual(future, { entries: [], next_cursor: null });
      const bad = await fetch(`${api}/v1/audit?from=yesterday`, { headers: adminAuth() });
      assert.equal(bad.status, 400);
    });

    it('revoking a token refuses it at once; sets security headers; refuses a foreign origin (CORS), preflight included', async () => {
      const listed = (await (await fetch(`${api}/v1/api-tokens`, { headers: adminAuth() })).json()) as { data: Array<{ id: string; name: string; token?: string }> };
      const reader = listed.data.find((t) => t.name === 'probe-read')!;
      assert.equal(reader.token, undefined);
      assert.equal((await fetch(`${api}/v1/api-tokens/${reader.id}`, { method: 'DELETE', headers: adminAuth() })).status, 200);
      assert.equal((await call('GET', '/v1/providers', { authorization: `Bearer ${tokens.read}` })).status, 401);

      const health = await fetch(`${api}/healthz`);
      assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(health.headers.get('content-security-policy'));
      assert.equal(health.headers.get('x-powered-by'), null);

      const crossSite = await fetch(`${api}/v1/billing/sources`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'text/plain' }, body: '{}' });
      assert.equal(crossSite.status, 403);
      const preflight = await fetch(`${api}/v1/providers`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 403);
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
      const sameOrigin = await fetch(`${api}/v1/providers`, { headers: adminAuth({ origin: api }) });
      assert.equal(sameOrigin.status, 200);
    });
  });
}

if (serverTarget && process.env.DATABASE_URL) {
  const servers = serverTarget;
  describe(`first start on ${servers.name} stores`, () => {
    let target: StoreTarget;
    before(async () => {
      target = await servers.create();
    });
    after(async () => {
      await target?.cleanup();
    });

    it('refuses to start with no admin and neither TOLLGATE_ADMIN_TOKEN nor TOLLGATE_ADMIN_PASSWORD, naming both', async () => {
      const { TOLLGATE_ADMIN_TOKEN: _admin, ...env } = target.env;
      await assert.rejects(launch(env, [createApiStarter()]), /TOLLGATE_ADMIN_PASSWORD or TOLLGATE_ADMIN_TOKEN must be set/);
      const started = await launch({ ...env, TOLLGATE_ADMIN_PASSWORD: 'a long admin password' }, [createApiStarter()]);
      try {
        const login = await fetch(`${started.urls.api}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'admin@localhost', password: 'a long admin password' }),
        });
        assert.equal(login.status, 200);
      } finally {
        await started.stop();
      }
      // The admin exists now: later starts need neither variable.
      const again = await launch(env, [createApiStarter()]);
      await again.stop();
    });
  });
}
