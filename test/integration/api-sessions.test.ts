import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiBootstrapNotice, createApiStarter } from '../../apps/api/src';
import { launch, RunningProcess } from '@tollgate/runtime';
import { embeddedTarget, StoreTarget, unusedLoopbackPort } from '../support/test-env';
import { FakeOidcServer } from '../support/fake-oidc.server';

/** The `name=value` of each Set-Cookie, with its attributes, by cookie name. */
function setCookies(res: Response): Record<string, { value: string; attributes: string[] }> {
  const cookies: Record<string, { value: string; attributes: string[] }> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';').map((p) => p.trim());
    const at = pair.indexOf('=');
    cookies[pair.slice(0, at)] = { value: decodeURIComponent(pair.slice(at + 1)), attributes: attributes.map((a) => a.toLowerCase()) };
  }
  return cookies;
}

/** A console session as a browser holds it: the session cookie, and the CSRF token it echoes on writes. */
interface BrowserSession {
  cookie: string;
  csrf: string;
}

function sessionOf(res: Response): BrowserSession {
  const cookies = setCookies(res);
  return { cookie: `tollgate_session=${cookies.tollgate_session.value}; tollgate_csrf=${cookies.tollgate_csrf.value}`, csrf: cookies.tollgate_csrf.value };
}

describe('console sessions and the embedded first start', () => {
  let target: StoreTarget;
  let running: RunningProcess;
  let api: string;
  let notice: ApiBootstrapNotice | undefined;
  const idp = new FakeOidcServer('tollgate-console', 'oidc-client-secret');

  before(async () => {
    target = await embeddedTarget.create();
    const { TOLLGATE_ADMIN_TOKEN: _headless, ...env } = target.env;
    // OIDC needs its redirect URL before the api listens: a fixed free port instead of 0.
    const port = await unusedLoopbackPort();
    await idp.start();
    running = await launch(
      {
        ...env,
        API_PORT: String(port),
        TOLLGATE_RATE_LIMIT_PER_MINUTE: '40',
        TOLLGATE_LOGIN_RATE_LIMIT_PER_MINUTE: '60',
        TOLLGATE_TRUST_PROXY: 'loopback',
        TOLLGATE_OIDC_ISSUER: idp.url,
        TOLLGATE_OIDC_CLIENT_ID: 'tollgate-console',
        TOLLGATE_OIDC_CLIENT_SECRET: 'oidc-client-secret',
        TOLLGATE_OIDC_REDIRECT_URL: `http://127.0.0.1:${port}/v1/auth/oidc/callback`,
        TOLLGATE_OIDC_ROLE_CLAIM: 'groups',
        TOLLGATE_OIDC_ROLE_MAP: 'finops-admins=admin,finance-team=finance',
      },
      [createApiStarter({ onBootstrapNotice: (n) => (notice = n) })],
    );
    api = running.urls.api;
  });
  after(async () => {
    await running?.stop();
    await idp.stop();
    await target?.cleanup();
  });

  const send = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    fetch(`${api}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
  const asBrowser = (session: BrowserSession, method: string, path: string, body?: unknown, withCsrf = true) =>
    send(method, path, { cookie: session.cookie, ...(withCsrf ? { 'x-csrf-token': session.csrf } : {}) }, body);
  let admin: BrowserSession;

  it('first start: a generated admin token in <data dir>/admin-token (0600) and a one-time login link for admin@localhost', async () => {
    const file = join(target.env.TOLLGATE_DATA_DIR, 'admin-token');
    assert.equal(notice?.adminTokenFile, file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(notice?.adminEmail, 'admin@localhost');
    assert.match(notice?.loginLink ?? '', new RegExp(`^${api}/v1/auth/login-link\\?token=tgl_`));
    const adminToken = readFileSync(file, 'utf8').trim();
    assert.equal((await send('GET', '/v1/users', { authorization: `Bearer ${adminToken}` })).status, 200);

    const used = await fetch(notice!.loginLink!, { redirect: 'manual' });
    assert.equal(used.status, 303);
    assert.equal(used.headers.get('location'), '/');
    const cookies = setCookies(used);
    assert.ok(cookies.tollgate_session.attributes.includes('httponly'));
    assert.ok(cookies.tollgate_session.attributes.includes('samesite=lax'));
    assert.ok(!cookies.tollgate_session.attributes.includes('secure'), 'plain http: no Secure flag');
    assert.ok(!cookies.tollgate_csrf.attributes.includes('httponly'), 'the console reads the CSRF cookie');
    admin = sessionOf(used);
    assert.equal((await fetch(notice!.loginLink!, { redirect: 'manual' })).status, 401, 'the link works once');

    const me = (await (await asBrowser(admin, 'GET', '/v1/auth/me')).json()) as { id: string };
    assert.deepEqual(me, { kind: 'user', id: me.id, name: 'admin@localhost', scopes: ['read', 'write', 'admin'], teams: null });
  });

  it('a cookie-authenticated write needs the CSRF token; reads do not; a bearer token needs none', async () => {
    const user = { email: 'Dana@Example.com', role: 'finance', password: 'correct horse battery', teams: ['search'] };
    const forged = await asBrowser(admin, 'POST', '/v1/users', user, false);
    assert.equal(forged.status, 403);
    assert.match(((await forged.json()) as { error: { message: string } }).error.message, /x-csrf-token/);
    const wrong = await send('POST', '/v1/users', { cookie: admin.cookie, 'x-csrf-token': 'guess' }, user);
    assert.equal(wrong.status, 403);
    const created = await asBrowser(admin, 'POST', '/v1/users', user);
    assert.equal(created.status, 201, await created.clone().text());
    assert.deepEqual(
      { ...((await created.json()) as Record<string, unknown>), id: undefined, created_at: undefined },
      { id: undefined, email: 'dana@example.com', role: 'finance', teams: ['search'], has_password: true, created_at: undefined, disabled_at: null },
    );
    assert.equal((await asBrowser(admin, 'GET', '/v1/users', undefined, false)).status, 200);
    const adminToken = readFileSync(notice!.adminTokenFile!, 'utf8').trim();
    const headless = await send('POST', '/v1/users', { authorization: `Bearer ${adminToken}` }, { email: 'viewer@example.com', role: 'viewer' });
    assert.equal(headless.status, 201, 'a bearer-token write is not cookie-authenticated: no CSRF token needed');
    const trail = (await (await asBrowser(admin, 'GET', '/v1/audit?entity=user')).json()) as { entries: Array<{ actor: string; action: string }> };
    assert.deepEqual(trail.entries.map((e) => [e.actor, e.action]), [['token:embedded-bootstrap-admin', 'user.create'], ['admin@localhost', 'user.create'], ['bootstrap', 'user.create']]);
  });

  it('password login, the role decides what a user may do, logout ends the session; a disabled user is out at once', async () => {
    assert.equal((await send('POST', '/v1/auth/login', {}, { email: 'dana@example.com', password: 'wrong password!!' })).status, 401);
    assert.equal((await send('POST', '/v1/auth/login', {}, { email: 'nobody@example.com', password: 'correct horse battery' })).status, 401);
    const login = await send('POST', '/v1/auth/login', { 'x-forwarded-proto': 'https' }, { email: 'DANA@example.com', password: 'correct horse battery' });
    assert.equal(login.status, 200);
    const body = (await login.json()) as { csrf_token: string; user: { role: string } };
    assert.equal(body.user.role, 'finance');
    assert.ok(setCookies(login).tollgate_session.attributes.includes('secure'), 'behind a trusted TLS proxy the cookie is Secure');
    const dana = sessionOf(login);
    assert.equal(dana.csrf, body.csrf_token);
    assert.deepEqual(((await (await asBrowser(dana, 'GET', '/v1/auth/me')).json()) as { teams: string[] }).teams, ['search']);
    assert.equal((await asBrowser(dana, 'GET', '/v1/providers')).status, 200, 'finance reads');
    assert.equal((await asBrowser(dana, 'POST', '/v1/keys', { name: 'x', defaults: { feature: 'has space' } })).status, 400, 'finance writes (this body is invalid)');
    assert.equal((await asBrowser(dana, 'POST', '/v1/api-tokens', { name: 'x', scope: 'proxy' })).status, 403, 'finance issues no token');
    assert.equal((await asBrowser(dana, 'GET', '/v1/audit')).status, 403);

    const out = await asBrowser(dana, 'POST', '/v1/auth/logout');
    assert.deepEqual(await out.json(), { logged_out: true });
    assert.equal((await asBrowser(dana, 'GET', '/v1/auth/me')).status, 401);

    const again = sessionOf(await send('POST', '/v1/auth/login', {}, { email: 'dana@example.com', password: 'correct horse battery' }));
    const users = (await (await asBrowser(admin, 'GET', '/v1/users')).json()) as { data: Array<{ id: string; email: string }> };
    const id = users.data.find((u) => u.email === 'dana@example.com')!.id;
    assert.equal((await asBrowser(admin, 'PATCH', `/v1/users/${id}`, { disabled: true })).status, 200);
    assert.equal((await asBrowser(again, 'GET', '/v1/auth/me')).status, 401);
    assert.equal((await send('POST', '/v1/auth/login', {}, { email: 'dana@example.com', password: 'correct horse battery' })).status, 401);
  });

  it('rate-limits each principal: 429 with Retry-After past the limit, other principals unaffected', async () => {
    const issued = (await (await asBrowser(admin, 'POST', '/v1/api-tokens', { name: 'busy', scope: 'read' })).json()) as { token: string };
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 45 && !limited; i++) {
      const res = await send('GET', '/v1/auth/me', { authorization: `Bearer ${issued.token}` });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    assert.ok(limited, `no 429 in ${statuses.length} requests`);
    assert.ok(statuses.length >= 40, 'the first 40 pass');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(((await limited.json()) as { error: { type: string } }).error.type, 'rate_limited');
    assert.equal((await asBrowser(admin, 'GET', '/v1/auth/me')).status, 200);
  });

  it('OIDC login: code flow with PKCE against the provider, role from the mapped claim, refused without a mapped role', async () => {
    const login = async () => {
      const start = await fetch(`${api}/v1/auth/oidc/login`, { redirect: 'manual' });
      assert.equal(start.status, 302);
      const pending = setCookies(start).tollgate_oidc;
      assert.ok(pending.attributes.includes('httponly'));
      const authorize = new URL(start.headers.get('location')!);
      assert.equal(`${authorize.origin}${authorize.pathname}`, `${idp.url}/authorize`);
      const back = await fetch(authorize, { redirect: 'manual' });
      assert.equal(back.status, 302);
      const callback = new URL(back.headers.get('location')!);
      return { callback, cookie: `tollgate_oidc=${pending.value}` };
    };

    idp.nextUser = { sub: 'o-1', email: 'Olivia@Example.com', groups: ['staff', 'finance-team'] };
    const first = await login();
    const done = await fetch(first.callback, { headers: { cookie: first.cookie }, redirect: 'manual' });
    assert.equal(done.status, 303, await done.clone().text());
    const olivia = sessionOf(done);
    const me = (await (await asBrowser(olivia, 'GET', '/v1/auth/me')).json()) as { name: string; scopes: string[] };
    assert.deepEqual([me.name, me.scopes], ['olivia@example.com', ['read', 'write']]);
    assert.ok(idp.tokenRequests.at(-1)!.get('code_verifier'), 'PKCE verifier sent to the token endpoint');

    // Promoted at the provider: the next login brings the role up to date.
    idp.nextUser = { sub: 'o-1', email: 'olivia@example.com', groups: ['finance-team', 'finops-admins'] };
    const second = await login();
    const promoted = sessionOf(await fetch(second.callback, { headers: { cookie: second.cookie }, redirect: 'manual' }));
    assert.deepEqual(((await (await asBrowser(promoted, 'GET', '/v1/auth/me')).json()) as { scopes: string[] }).scopes, ['read', 'write', 'admin']);

    const replay = await fetch(second.callback, { headers: { cookie: second.cookie }, redirect: 'manual' });
    assert.equal(replay.status, 401, 'a code works once');
    const third = await login();
    assert.equal((await fetch(third.callback, { redirect: 'manual' })).status, 401, 'no pending-login cookie');
    const tampered = new URL(third.callback);
    tampered.searchParams.set('state', 'forged');
    assert.equal((await fetch(tampered, { headers: { cookie: third.cookie }, redirect: 'manual' })).status, 401, 'state must match');

    idp.nextUser = { sub: 'm-1', email: 'mallory@example.com', groups: ['staff'] };
    const unmapped = await login();
    assert.equal((await fetch(unmapped.callback, { headers: { cookie: unmapped.cookie }, redirect: 'manual' })).status, 403);
  });
});
