import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import OpenAI from 'openai';
import { Dispatcher, request } from 'undici';
import Decimal from 'decimal.js';
import { apiStarter } from '../../apps/api/src';
import { ProxyHandle, createProxyStarter } from '../../apps/proxy/src';
import { RunningProcess, launch } from '@tollgate/runtime';
import { embeddedTarget, StoreTarget, unusedLoopbackPort } from '../support/test-env';
import { FakeOpenAiServer, OPENAI_TEXT } from '../support/fake-llm-openai.server';
import { adminAuth } from '../support/api-auth';

/**
 * A stream's cost travels as the `x-tollgate-cost` HTTP trailer, which fetch-based SDKs (the official `openai` one
 * included) cannot read. What such a client does instead: take `x-tollgate-request-id` from the response headers and
 * ask `GET /v1/requests/:id?wait_ms=…` right after the stream ends. The SDK runs here over a fetch that also keeps the
 * trailers (undici's request exposes them), so the test can check the lookup's cost against the trailer's.
 */
class TrailerKeepingFetch {
  private readonly trailers = new Map<string, Promise<Record<string, string | string[] | undefined>>>();

  readonly fetch = async (url: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const res = await request(String(url), {
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: init.body as string | undefined,
      signal: init.signal ?? undefined,
    });
    const id = String(res.headers['x-tollgate-request-id'] ?? '');
    // undici fills `trailers` before the body's end event.
    this.trailers.set(id, new Promise((resolve, reject) => res.body.once('end', () => resolve(res.trailers)).once('error', reject)));
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) for (const v of ([] as (string | undefined)[]).concat(value)) if (v !== undefined) headers.append(name, v);
    return new Response(Readable.toWeb(res.body) as ReadableStream, { status: res.statusCode, headers });
  };

  async costTrailer(requestId: string): Promise<string> {
    const trailers = await this.trailers.get(requestId);
    assert.ok(trailers, `a response for ${requestId}`);
    return String(trailers['x-tollgate-cost']);
  }
}

async function provisionOpenAi(apiUrl: string, upstreamUrl: string): Promise<string> {
  async function post(path: string, body: unknown): Promise<any> {
    const res = await fetch(`${apiUrl}${path}`, { method: 'POST', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
    const json = await res.json();
    assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  const provider = await post('/v1/providers', { name: 'openai-main', kind: 'openai', base_url: `${upstreamUrl}/v1`, credentials: { apiKey: 'sk-upstream' } });
  await post(`/v1/providers/${provider.id}/deployments`, { model: 'gpt-4o-mini' });
  return (await post('/v1/keys', { name: 'stream-client', defaults: { team: 'payments' } })).key;
}

/** Streams one chat completion with the SDK, then reads its cost back by id right away; both costs must agree. */
async function streamThenLookUp(proxyUrl: string, apiUrl: string, key: string): Promise<void> {
  const transport = new TrailerKeepingFetch();
  const client = new OpenAI({ baseURL: `${proxyUrl}/v1`, apiKey: key, maxRetries: 0, fetch: transport.fetch });
  const { data: stream, response } = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }, { headers: { 'x-tollgate-feature': 'stream-lookup', 'x-tollgate-customer': 'acme' } })
    .withResponse();
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, OPENAI_TEXT.join(''));
  const id = response.headers.get('x-tollgate-request-id');
  assert.ok(id, 'x-tollgate-request-id header');
  const trailerCost = await transport.costTrailer(id);
  assert.match(trailerCost, /^\d+(\.\d+)?$/);
  assert.ok(new Decimal(trailerCost).gt(0), 'a priced request');

  // No spool flush, no sleep: the lookup itself waits until the proxy's telemetry lands.
  const res = await fetch(`${apiUrl}/v1/requests/${id}?wait_ms=10000`, { headers: adminAuth() });
  const body = (await res.json()) as any;
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.ok(new Decimal(body.estimated_cost).eq(trailerCost), `lookup ${body.estimated_cost} = trailer ${trailerCost}`);
  assert.deepEqual(
    [body.streamed, body.status, body.attribution.feature, body.attribution.customer, body.attribution.team, body.tokens.input_tokens, body.tokens.output_tokens, body.usage_source],
    [true, 200, 'stream-lookup', 'acme', 'payments', 12, 5, 'provider'],
  );
}

describe('a streamed request\'s cost, read by id right after the stream (all-in-one process)', () => {
  let target: StoreTarget;
  let running: RunningProcess;
  let proxy!: ProxyHandle;
  const fakeOpenAi = new FakeOpenAiServer();
  before(async () => {
    target = await embeddedTarget.create();
    await fakeOpenAi.start();
    running = await launch(target.env, [apiStarter, createProxyStarter({}, (h) => (proxy = h))]);
  });
  after(async () => {
    await running?.stop();
    await fakeOpenAi.stop();
    await target?.cleanup();
  });

  it('the proxy writes ClickHouse itself; GET /v1/requests/:id answers with the trailer\'s cost', async () => {
    const key = await provisionOpenAi(running.urls.api, fakeOpenAi.url);
    await streamThenLookUp(proxy.url, running.urls.api, key);
  });
});

describe('a streamed request\'s cost, read by id right after the stream (separate proxy, through the collector)', () => {
  let target: StoreTarget;
  let api: RunningProcess | undefined;
  let proxyProcess: RunningProcess | undefined;
  const proxyDataDir = mkdtempSync(join(tmpdir(), 'tollgate-proxy-'));
  const fakeOpenAi = new FakeOpenAiServer();
  after(async () => {
    await proxyProcess?.stop();
    await api?.stop();
    await fakeOpenAi.stop();
    await target?.cleanup();
    rmSync(proxyDataDir, { recursive: true, force: true });
  });

  it('events travel through the spool and the collector; the lookup still answers with the trailer\'s cost', async () => {
    target = await embeddedTarget.create();
    await fakeOpenAi.start();
    const secrets = { TOLLGATE_SECRET_KEY: randomBytes(32).toString('hex'), TOLLGATE_COLLECTOR_TOKEN: randomBytes(24).toString('hex') };
    api = await launch({ ...target.env, ...secrets }, [apiStarter]);
    let proxy!: ProxyHandle;
    const proxyEnv = {
      ...secrets,
      TOLLGATE_DATA_DIR: proxyDataDir,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await unusedLoopbackPort()}/nowhere`,
      CLICKHOUSE_URL: `http://127.0.0.1:${await unusedLoopbackPort()}`,
      REDIS_URL: `redis://127.0.0.1:${await unusedLoopbackPort()}`,
      PROXY_PORT: '0',
      LOG_LEVEL: 'error',
    };
    proxyProcess = await launch(proxyEnv, [createProxyStarter({ apiUrl: api.urls.api }, (h) => (proxy = h))], { requireServers: true });
    const key = await provisionOpenAi(api.urls.api, fakeOpenAi.url);
    await proxy.context.catalogue.refresh();
    await streamThenLookUp(proxy.url, api.urls.api, key);
  });
});
