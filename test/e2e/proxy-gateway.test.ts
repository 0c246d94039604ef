import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { apiStarter } from '../../apps/api/src';
import { ProxyHandle, createProxyStarter, startProxy } from '../../apps/proxy/src';
import { RunningProcess, launch } from '@tollgate/runtime';
import { loadSecretKey } from '@tollgate/core';
import { proxyChannelToken } from '@tollgate/auth';
import { StoreTarget, storeTargets } from '../support/test-env';
import { adminAuth } from '../support/api-auth';
import { captureOutput } from '../support/output-capture';
import { FakeOpenAiServer, OPENAI_TEXT } from '../support/fake-llm-openai.server';
import { ANTHROPIC_TEXT, FakeAnthropicServer } from '../support/fake-llm-anthropic.server';
import { FakeGeminiServer, GEMINI_TEXT } from '../support/fake-llm-gemini.server';
import { BEDROCK_TEXT, FakeBedrockServer } from '../support/fake-llm-bedrock.server';

interface Row {
  request_id: string;
  feature: string;
  customer: string;
  team: string;
  env: string;
  virtual_key: string;
  provider: string;
  model: string;
  requested_model: string;
  attempt: number;
  fallback_from: string;
  status: number;
  error_class: string;
  input_tokens: string;
  cached_input_tokens: string;
  cache_write_tokens: string;
  output_tokens: string;
  usage_source: string;
  streamed: boolean;
  ttft_ms: number | null;
  estimated_cost: string;
  price_ref: string;
  currency: string;
  attempts: string;
}

for (const factory of storeTargets) {
  describe(`proxy gateway on ${factory.name} stores`, () => {
    let target: StoreTarget;
    let running: RunningProcess;
    let proxy: ProxyHandle;
    let api: string;
    let key: string;
    let keyId: string;
    let openai: OpenAI;
    const fakeOpenAi = new FakeOpenAiServer();
    const fakeBackup = new FakeOpenAiServer();
    const fakeAnthropic = new FakeAnthropicServer();
    const fakeGemini = new FakeGeminiServer();
    const fakeBedrock = new FakeBedrockServer('bedrock-secret-key');
    const fakeAzure = new FakeOpenAiServer();

    async function post(path: string, body: unknown): Promise<any> {
      const res = await fetch(`${api}${path}`, { method: 'POST', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
      const json = await res.json();
      assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    }

    /** The row that landed in ClickHouse for a request id, after the proxy's spool delivered everything. */
    async function row(requestId: string | null): Promise<Row> {
      assert.ok(requestId, 'x-tollgate-request-id header');
      await proxy.context.spool.flush();
      const rows = (await (
        await running.stores.clickhouse.query({
          query: `SELECT * EXCEPT (ts, ingested_at) FROM llm_requests FINAL WHERE request_id = {id:String}`,
          query_params: { id: requestId },
          format: 'JSONEachRow',
        })
      ).json()) as Row[];
      assert.equal(rows.length, 1, `exactly one telemetry row for ${requestId}`);
      return rows[0];
    }

    // Every log line of the flows below, at debug level, for the last test: no credential or key may appear in one.
    let output: ReturnType<typeof captureOutput>;

    before(async () => {
      output = captureOutput();
      target = await factory.create();
      await Promise.all([fakeOpenAi.start(), fakeBackup.start(), fakeAnthropic.start(), fakeGemini.start(), fakeBedrock.start(), fakeAzure.start()]);
      running = await launch({ ...target.env, LOG_LEVEL: 'debug' }, [apiStarter, createProxyStarter({}, (h) => (proxy = h))]);
      api = running.urls.api;
      const openaiProvider = await post('/v1/providers', { name: 'openai-main', kind: 'openai', base_url: `${fakeOpenAi.url}/v1`, credentials: { apiKey: 'sk-upstream-secret' } });
      assert.equal(openaiProvider.has_credentials, true);
      assert.equal(JSON.stringify(openaiProvider).includes('sk-upstream-secret'), false, 'credentials are never returned');
      const backup = await post('/v1/providers', { name: 'openai-backup', kind: 'openai_compatible', base_url: `${fakeBackup.url}/v1`, credentials: { apiKey: 'sk-backup' } });
      const anthropic = await post('/v1/providers', { name: 'anthropic-main', kind: 'anthropic', base_url: fakeAnthropic.url, credentials: { apiKey: 'sk-ant-secret' } });
      await post(`/v1/providers/${openaiProvider.id}/deployments`, { model: 'gpt-4o-mini', provider_account: 'org-1' });
      await post(`/v1/providers/${openaiProvider.id}/deployments`, { model: 'text-embedding-3-small' });
      await post(`/v1/providers/${openaiProvider.id}/deployments`, { model: 'fallback-model', upstream_model: 'gpt-4o-mini' });
      await post(`/v1/providers/${backup.id}/deployments`, { model: 'fallback-model', upstream_model: 'gpt-4o-mini' });
      await post(`/v1/providers/${backup.id}/deployments`, { model: 'local-llama', upstream_model: 'llama-3-8b' });
      await post(`/v1/providers/${anthropic.id}/deployments`, { model: 'claude-3-5-haiku-20241022' });
      const gemini = await post('/v1/providers', { name: 'gemini-studio', kind: 'gemini', base_url: fakeGemini.url, credentials: { apiKey: 'gm-key' } });
      const vertex = await post('/v1/providers', { name: 'vertex-eu', kind: 'vertex', base_url: fakeGemini.url, settings: { project: 'proj-1', location: 'europe-west4' }, credentials: { bearerToken: 'ya29.token' } });
      const bedrock = await post('/v1/providers', { name: 'bedrock-us', kind: 'bedrock', base_url: fakeBedrock.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'bedrock-secret-key' } });
      const azure = await post('/v1/providers', { name: 'azure-east', kind: 'azure_openai', base_url: fakeAzure.url, settings: { apiVersion: '2024-10-21' }, credentials: { apiKey: 'az-key' } });
      await post(`/v1/providers/${gemini.id}/deployments`, { model: 'gemini-2.5-flash' });
      await post(`/v1/providers/${vertex.id}/deployments`, { model: 'gemini-vertex', upstream_model: 'gemini-2.5-flash', region: 'europe-west4' });
      await post(`/v1/providers/${bedrock.id}/deployments`, { model: 'claude-bedrock', upstream_model: 'anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', provider_account: '123456789012' });
      await post(`/v1/providers/${azure.id}/deployments`, { model: 'gpt-4o-mini-azure', upstream_model: 'my-4o-mini-deploy' });
      const issued = await post('/v1/keys', { name: 'checkout-service', defaults: { team: 'payments', env: 'prod' } });
      assert.match(issued.key, /^tg-/);
      key = issued.key;
      keyId = issued.id;
      const stored = await running.stores.dataSource.query(`SELECT key_hash, defaults FROM tollgate.virtual_keys WHERE id = $1`, [keyId]);
      assert.notEqual(stored[0].key_hash, key, 'keys are stored hashed');
      const ciphertext = await running.stores.dataSource.query(`SELECT credentials_ciphertext FROM tollgate.providers WHERE name = 'openai-main'`);
      assert.equal(ciphertext[0].credentials_ciphertext.includes('sk-upstream'), false, 'credentials are encrypted at rest');
      openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: key, maxRetries: 0 });
    });

    after(async () => {
      output?.restore();
      await running?.stop();
      await Promise.all([fakeOpenAi.stop(), fakeBackup.stop(), fakeAnthropic.stop(), fakeGemini.stop(), fakeBedrock.stop(), fakeAzure.stop()]);
      await target?.cleanup();
    });

    it('OpenAI chat, not streamed: passes the answer through, sets the headers and records tokens, cost and tags', async () => {
      const { data, response } = await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tollgate-feature': 'search', 'x-tollgate-customer': 'acme' } })
        .withResponse();
      assert.equal(data.choices[0].message.content, OPENAI_TEXT.join(''));
      assert.equal(response.headers.get('x-tollgate-route'), 'openai-main/gpt-4o-mini');
      assert.equal(response.headers.get('x-tollgate-cost'), '0.0000045');
      const upstream = fakeOpenAi.requests.at(-1)!;
      assert.equal(upstream.headers.authorization, 'Bearer sk-upstream-secret', 'the provider credential, not the virtual key, goes upstream');
      const r = await row(response.headers.get('x-tollgate-request-id'));
      assert.deepEqual(
        { feature: r.feature, customer: r.customer, team: r.team, env: r.env, vk: r.virtual_key, provider: r.provider, model: r.model, status: r.status, error: r.error_class },
        { feature: 'search', customer: 'acme', team: 'payments', env: 'prod', vk: keyId, provider: 'openai', model: 'gpt-4o-mini', status: 200, error: '' },
      );
      assert.deepEqual([r.input_tokens, r.cached_input_tokens, r.output_tokens, r.usage_source, r.streamed], ['12', '4', '5', 'provider', false]);
      assert.equal(r.estimated_cost, '0.0000045');
      assert.equal(r.price_ref, 'genai-prices@0.1.8:openai/gpt-4o-mini');
    });

    it('OpenAI chat streamed: asks upstream for usage, strips the usage chunk the client did not ask for, records usage', async () => {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, user: 'customer-42' }, { headers: { 'x-tollgate-feature': 'chat' } })
        .withResponse();
      let text = '';
      let usageChunks = 0;
      for await (const chunk of stream) {
        if (chunk.usage) usageChunks++;
        text += chunk.choices[0]?.delta?.content ?? '';
      }
      assert.equal(text, OPENAI_TEXT.join(''));
      assert.equal(usageChunks, 0, 'the client did not ask for usage');
      assert.equal(fakeOpenAi.requests.at(-1)!.body.stream_options.include_usage, true, 'upstream was asked for usage');
      const r = await row(response.headers.get('x-tollgate-request-id'));
      assert.deepEqual([r.customer, r.feature, r.input_tokens, r.output_tokens, r.usage_source, r.streamed, r.status], ['customer-42', 'chat', '12', '5', 'provider', true, 200]);
      assert.ok(r.ttft_ms !== null);
      assert.equal(r.estimated_cost, '0.0000045');
    });

    it('OpenAI chat streamed with include_usage: the client gets the usage chunk', async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
      const usage = [];
      for await (const chunk of stream) if (chunk.usage) usage.push(chunk.usage);
      assert.equal(usage.length, 1);
      assert.equal(usage[0].prompt_tokens, 12);
    });

    it('tools, JSON mode and n>1 pass through', async () => {
      const tools = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'weather in Paris?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      });
      assert.equal(tools.choices[0].message.tool_calls?.[0].type === 'function' && tools.choices[0].message.tool_calls[0].function.name, 'get_weather');
      const json = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'json' }], response_format: { type: 'json_object' }, n: 2 });
      assert.equal(json.choices.length, 2);
      assert.deepEqual(JSON.parse(json.choices[1].message.content!), { ok: true });
    });

    it('Anthropic behind the OpenAI format: system, tools and usage with cache reads/writes, streamed and not', async () => {
      const { data, response } = await openai.chat.completions
        .create(
          {
            model: 'claude-3-5-haiku-20241022',
            messages: [
              { role: 'system', content: 'Be brief.' },
              { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
            ],
            max_tokens: 100,
          },
          { headers: { 'x-tollgate-feature': 'vision' } },
        )
        .withResponse();
      assert.equal(data.choices[0].message.content, ANTHROPIC_TEXT.join(''));
      assert.equal(data.usage?.prompt_tokens, 100);
      const sent = fakeAnthropic.requests.at(-1)!;
      assert.equal(sent.body.system, 'Be brief.');
      assert.deepEqual(sent.body.messages[0].content[1], { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } });
      assert.equal(sent.headers['x-api-key'], 'sk-ant-secret');
      const r = await row(response.headers.get('x-tollgate-request-id'));
      // Anthropic's input_tokens (50) excludes cache reads (20) and writes (30): recorded as 100 with the subsets.
      assert.deepEqual([r.provider, r.input_tokens, r.cached_input_tokens, r.cache_write_tokens, r.output_tokens], ['anthropic', '100', '20', '30', '10']);
      assert.equal(r.estimated_cost, '0.0001116');

      const { data: stream, response: streamResponse } = await openai.chat.completions
        .create({
          model: 'claude-3-5-haiku-20241022',
          messages: [{ role: 'user', content: 'weather?' }],
          stream: true,
          stream_options: { include_usage: true },
          tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
        })
        .withResponse();
      let args = '';
      let name = '';
      let finish = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        const call = chunk.choices[0]?.delta?.tool_calls?.[0];
        if (call?.function?.name) name = call.function.name;
        args += call?.function?.arguments ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
      assert.deepEqual([name, JSON.parse(args), finish], ['get_weather', { city: 'Paris' }, 'tool_calls']);
      assert.equal(usage?.prompt_tokens, 100);
      const s = await row(streamResponse.headers.get('x-tollgate-request-id'));
      assert.deepEqual([s.streamed, s.input_tokens, s.cached_input_tokens, s.cache_write_tokens, s.output_tokens, s.estimated_cost, s.feature], [true, '100', '20', '30', '10', '0.0001116', 'unattributed']);
    });

    it('Anthropic-native /v1/messages with the official SDK, streamed and not', async () => {
      const client = new Anthropic({ baseURL: proxy.url, apiKey: key, maxRetries: 0 });
      const { data, response } = await client.messages
        .create({ model: 'claude-3-5-haiku-20241022', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tollgate-feature': 'native' } })
        .withResponse();
      assert.equal(data.content[0].type === 'text' && data.content[0].text, ANTHROPIC_TEXT.join(''));
      assert.equal(data.usage.cache_read_input_tokens, 20);
      const r = await row(response.headers.get('x-tollgate-request-id'));
      assert.deepEqual([r.feature, r.input_tokens, r.cached_input_tokens, r.cache_write_tokens, r.output_tokens, r.estimated_cost], ['native', '100', '20', '30', '10', '0.0001116']);

      const stream = client.messages.stream({ model: 'claude-3-5-haiku-20241022', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
      const final = await stream.finalMessage();
      assert.equal(final.content[0].type === 'text' && final.content[0].text, ANTHROPIC_TEXT.join(''));
      const streamedId = (await stream.withResponse()).response.headers.get('x-tollgate-request-id');
      const s = await row(streamedId);
      assert.deepEqual([s.streamed, s.input_tokens, s.output_tokens, s.usage_source], [true, '100', '10', 'provider']);
    });

    it('embeddings, models and the Responses API', async () => {
      const { data, response } = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }).withResponse();
      assert.equal(data.data.length, 2);
      const e = await row(response.headers.get('x-tollgate-request-id'));
      assert.deepEqual([e.input_tokens, e.output_tokens, e.estimated_cost], ['8', '0', '0.00000016']);

      const models = await openai.models.list();
      assert.deepEqual(models.data.map((m) => m.id).sort(), ['claude-3-5-haiku-20241022', 'claude-bedrock', 'fallback-model', 'gemini-2.5-flash', 'gemini-vertex', 'gpt-4o-mini', 'gpt-4o-mini-azure', 'local-llama', 'text-embedding-3-small']);

      const { data: resp, response: respHttp } = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hi' }).withResponse();
      assert.equal(resp.output_text, OPENAI_TEXT.join(''));
      const rr = await row(respHttp.headers.get('x-tollgate-request-id'));
      assert.deepEqual([rr.input_tokens, rr.output_tokens], ['9', '4']);

      const { data: rs, response: rsHttp } = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true }).withResponse();
      let text = '';
      for await (const event of rs) if (event.type === 'response.output_text.delta') text += event.delta;
      assert.equal(text, OPENAI_TEXT.join(''));
      const rsr = await row(rsHttp.headers.get('x-tollgate-request-id'));
      assert.deepEqual([rsr.streamed, rsr.input_tokens, rsr.output_tokens], [true, '9', '4']);
    });

    it('Gemini on AI Studio and Vertex: contents/parts, thoughts and cached tokens, streamed and not', async () => {
      const { data, response } = await openai.chat.completions
        .create({ model: 'gemini-2.5-flash', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }], max_tokens: 50 })
        .withResponse();
      assert.equal(data.choices[0].message.content, GEMINI_TEXT.join(''), 'thought parts are not content');
      const sent = fakeGemini.requests.at(-1)!;
      assert.equal(sent.path, '/v1beta/models/gemini-2.5-flash:generateContent');
      assert.equal(sent.headers['x-goog-api-key'], 'gm-key');
      assert.deepEqual(sent.body.systemInstruction, { parts: [{ text: 'Be brief.' }] });
      assert.deepEqual(sent.body.contents, [{ role: 'user', parts: [{ text: 'hi' }] }]);
      assert.equal(sent.body.generationConfig.maxOutputTokens, 50);
      const r = await row(response.headers.get('x-tollgate-request-id'));
      // output = candidates (6) + thoughts (14); reasoning = thoughts; cached ⊂ prompt.
      assert.deepEqual([r.provider, r.input_tokens, r.cached_input_tokens, r.output_tokens, (r as any).reasoning_tokens], ['gemini', '40', '16', '20', '14']);
      assert.ok(Number(r.estimated_cost) > 0 && r.price_ref.includes('gemini-2.5-flash'), r.price_ref);

      const stream = await openai.chat.completions.create({ model: 'gemini-vertex', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }).withResponse();
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream.data) {
        text += chunk.choices[0]?.delta?.content ?? '';
        usage = chunk.usage ?? usage;
      }
      assert.equal(text, GEMINI_TEXT.join(''));
      assert.equal(usage?.completion_tokens, 20);
      const vsent = fakeGemini.requests.at(-1)!;
      assert.equal(vsent.path, '/v1/projects/proj-1/locations/europe-west4/publishers/google/models/gemini-2.5-flash:streamGenerateContent');
      assert.equal(vsent.headers.authorization, 'Bearer ya29.token');
      const v = await row(stream.response.headers.get('x-tollgate-request-id'));
      assert.deepEqual([v.provider, v.streamed, v.input_tokens, v.output_tokens, v.usage_source], ['vertex', true, '40', '20', 'provider']);
    });

    it('Bedrock Converse and ConverseStream (SigV4, binary event stream) and Azure OpenAI deployments', async () => {
      const { data, response } = await openai.chat.completions.create({ model: 'claude-bedrock', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 }).withResponse();
      assert.equal(data.choices[0].message.content, BEDROCK_TEXT.join(''));
      assert.equal(fakeBedrock.requests.at(-1)!.body.inferenceConfig.maxTokens, 20);
      const r = await row(response.headers.get('x-tollgate-request-id'));
      // Bedrock's inputTokens (30) exclude the cache read (10).
      assert.deepEqual([r.provider, r.input_tokens, r.cached_input_tokens, r.output_tokens, (r as any).provider_account], ['bedrock', '40', '10', '7', '123456789012']);
      assert.ok(Number(r.estimated_cost) > 0, r.price_ref);

      const { data: stream, response: sr } = await openai.chat.completions
        .create({ model: 'claude-bedrock', messages: [{ role: 'user', content: 'weather?' }], stream: true, tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }] })
        .withResponse();
      let args = '';
      let finish = '';
      for await (const chunk of stream) {
        args += chunk.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.deepEqual([JSON.parse(args), finish], [{ city: 'Paris' }, 'tool_calls']);
      const s = await row(sr.headers.get('x-tollgate-request-id'));
      assert.deepEqual([s.streamed, s.input_tokens, s.output_tokens, s.error_class], [true, '40', '7', '']);

      const { data: az, response: azr } = await openai.chat.completions.create({ model: 'gpt-4o-mini-azure', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      assert.equal(az.choices[0].message.content, OPENAI_TEXT.join(''));
      const sent = fakeAzure.requests.at(-1)!;
      assert.equal(sent.path, '/openai/deployments/my-4o-mini-deploy/chat/completions');
      assert.equal(sent.headers['api-key'], 'az-key');
      const a = await row(azr.headers.get('x-tollgate-request-id'));
      assert.deepEqual([a.provider, a.model, a.input_tokens, a.estimated_cost], ['azure_openai', 'my-4o-mini-deploy', '12', '0.0000045']);
    });

    it('rejects bad attribution with a 400 naming the header; enforces allowed models, revocation and unknown keys, in OpenAI format', async () => {
      await assert.rejects(
        openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tollgate-feature': 'bad feature!' } }),
        (error: unknown) => error instanceof OpenAI.BadRequestError && /x-tollgate-feature/.test(error.message) && error.type === 'invalid_request_error',
      );
      await assert.rejects(
        openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tollgate-customer': 'x'.repeat(200) } }),
        (error: unknown) => error instanceof OpenAI.BadRequestError && /x-tollgate-customer.*at most 128/.test(error.message),
      );
      const limited = await post('/v1/keys', { name: 'embeddings-only', allowed_models: ['text-embedding-3-small'] });
      const limitedClient = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: limited.key, maxRetries: 0 });
      await assert.rejects(limitedClient.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => error instanceof OpenAI.PermissionDeniedError);
      assert.deepEqual((await limitedClient.models.list()).data.map((m) => m.id), ['text-embedding-3-small']);
      const revoke = await fetch(`${api}/v1/keys/${limited.id}`, { method: 'DELETE', headers: adminAuth() });
      assert.equal(revoke.status, 200);
      await proxy.context.catalogue.refresh();
      await assert.rejects(limitedClient.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError, 'a revoked key stops working at the next catalogue refresh');
      const badDefaults = await fetch(`${api}/v1/keys`, { method: 'POST', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify({ name: 'x', defaults: { feature: 'has space' } }) });
      assert.equal(badDefaults.status, 400);
      assert.match(JSON.stringify(await badDefaults.json()), /defaults\.feature/);
      const stranger = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'tg-not-a-real-key', maxRetries: 0 });
      await assert.rejects(stranger.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError);
      await assert.rejects(
        openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
        (error: unknown) => error instanceof OpenAI.NotFoundError && (error as InstanceType<typeof OpenAI.APIError>).code === 'model_not_found',
      );
    });

    it("a key's fixed attribution: a header naming another team or customer is a 403 naming it; a shared key's team stays the caller's", async () => {
      const chat = (client: OpenAI, headers: Record<string, string>, user?: string) =>
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...(user ? { user } : {}) }, { headers }).withResponse();
      // The checkout key was issued with a default team and no `fixed`: its team is fixed.
      const listed = (await (await fetch(`${api}/v1/keys`, { headers: adminAuth() })).json()) as { id: string; defaults: object; fixed: object }[];
      assert.deepEqual(listed.find((k) => k.id === keyId)?.fixed, { team: 'payments' });
      const upstreamBefore = fakeOpenAi.requests.length;
      await assert.rejects(
        chat(openai, { 'x-tollgate-team': 'team-b', 'x-tollgate-customer': 'victim-corp' }),
        (error: unknown) =>
          error instanceof OpenAI.PermissionDeniedError &&
          error.type === 'permission_error' &&
          error.code === 'attribution_fixed' &&
          error.param === 'x-tollgate-team' &&
          /x-tollgate-team \(fixed to 'payments'\)/.test(error.message),
      );
      assert.equal(fakeOpenAi.requests.length, upstreamBefore, 'a refused request goes nowhere upstream');
      // Naming the fixed team itself is no override; the customer, not fixed on this key, is the caller's to name.
      const same = await chat(openai, { 'x-tollgate-team': 'payments', 'x-tollgate-customer': 'acme' });
      const sameRow = await row(same.response.headers.get('x-tollgate-request-id'));
      assert.deepEqual([sameRow.team, sameRow.customer], ['payments', 'acme']);

      // An admin fixes the customer too (PATCH keeps the key); the OpenAI `user` field no longer books elsewhere.
      const tenant = await post('/v1/keys', { name: 'tenant-acme', defaults: { team: 'payments', feature: 'assistant' } });
      const patch = await fetch(`${api}/v1/keys/${tenant.id}`, { method: 'PATCH', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify({ fixed: { team: 'payments', customer: 'acme' } }) });
      assert.equal(patch.status, 200);
      assert.deepEqual(((await patch.json()) as { fixed: object }).fixed, { team: 'payments', customer: 'acme' });
      const audit = await running.stores.dataSource.query(`SELECT details FROM tollgate.audit_log WHERE action = 'virtual_key.update' AND entity_id = $1`, [tenant.id]);
      assert.deepEqual([audit[0].details.before.fixed, audit[0].details.after.fixed], [{ team: 'payments' }, { team: 'payments', customer: 'acme' }]);
      await proxy.context.catalogue.refresh();
      const tenantClient = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: tenant.key, maxRetries: 0 });
      const byUser = await chat(tenantClient, {}, 'victim-corp');
      const tenantRow = await row(byUser.response.headers.get('x-tollgate-request-id'));
      assert.deepEqual([tenantRow.team, tenantRow.customer, tenantRow.feature], ['payments', 'acme', 'assistant']);
      await assert.rejects(chat(tenantClient, { 'x-tollgate-customer': 'victim-corp' }), (error: unknown) => error instanceof OpenAI.PermissionDeniedError && error.param === 'x-tollgate-customer');
      const conflicting = await fetch(`${api}/v1/keys/${tenant.id}`, { method: 'PATCH', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify({ defaults: { team: 'growth' } }) });
      assert.equal(conflicting.status, 400);
      assert.match(JSON.stringify(await conflicting.json()), /defaults\.team/);

      // A shared key (explicitly nothing fixed): its default team is only a default.
      const shared = await post('/v1/keys', { name: 'shared-notebooks', defaults: { team: 'platform' }, fixed: {} });
      // Loaded now: a miss reload so soon after the refresh above may be held back by its rate limit.
      await proxy.context.catalogue.refresh();
      const sharedClient = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: shared.key, maxRetries: 0 });
      const named = await chat(sharedClient, { 'x-tollgate-team': 'research' });
      assert.equal((await row(named.response.headers.get('x-tollgate-request-id'))).team, 'research');
    });

    it('answers malformed, mistyped and oversized bodies with a 4xx in OpenAI format, and sends nothing upstream', async () => {
      const send = async (body: string | Uint8Array, path = '/v1/chat/completions') => {
        const res = await fetch(`${proxy.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
        return { status: res.status, error: ((await res.json()) as { error: { message: string; type: string; code: string | null; param: string | null } }).error };
      };
      const storedRows = async () => {
        await proxy.context.spool.flush();
        const [{ n }] = (await (await running.stores.clickhouse.query({ query: 'SELECT count() AS n FROM llm_requests', format: 'JSONEachRow' })).json()) as { n: string }[];
        return Number(n);
      };
      const rowsBefore = await storedRows();
      const upstreamBefore = fakeOpenAi.requests.length;
      const malformed = await send('{"model": "gpt-4o-mini", "messages": [');
      assert.equal(malformed.status, 400);
      assert.equal(malformed.error.type, 'invalid_request_error');
      assert.equal(malformed.error.code, 'invalid_json');
      assert.match(malformed.error.message, /not valid JSON/);
      const notAnObject = await send('[{"model": "gpt-4o-mini"}]');
      assert.deepEqual([notAnObject.status, notAnObject.error.code], [400, 'invalid_json']);
      const mistyped = await send(JSON.stringify({ model: 'gpt-4o-mini', messages: 'hi' }));
      assert.deepEqual([mistyped.status, mistyped.error.param], [400, 'messages']);
      const noModel = await send(JSON.stringify({ input: 'hi' }), '/v1/embeddings');
      assert.deepEqual([noModel.status, noModel.error.param], [400, 'model']);
      // Over the body limit (lowered here; 32 MB by default): a 413 the client can read, not a reset connection.
      const limit = proxy.context.maxBodyBytes;
      proxy.context.maxBodyBytes = 64 * 1024;
      try {
        const big = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(256 * 1024) }] });
        const tooLarge = await send(big);
        assert.equal(tooLarge.status, 413);
        assert.equal(tooLarge.error.code, 'request_too_large');
        assert.match(tooLarge.error.message, /65536 bytes/);
        // A chunked upload declares no length: refused once the limit is crossed mid-body, still with a readable 413.
        const chunk = new TextEncoder().encode(`${'x'.repeat(16 * 1024 - 1)} `);
        let sent = 0;
        const chunked = await fetch(`${proxy.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: new ReadableStream({ pull: (controller) => (sent++ < 20 ? controller.enqueue(chunk) : controller.close()) }),
          duplex: 'half',
        } as RequestInit);
        assert.equal(chunked.status, 413);
        assert.equal(((await chunked.json()) as { error: { code: string } }).error.code, 'request_too_large');
        // The same through the official client, which reads the error body too.
        await assert.rejects(
          openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(256 * 1024) }] }),
          (error: unknown) => error instanceof OpenAI.APIError && error.status === 413 && error.code === 'request_too_large',
        );
      } finally {
        proxy.context.maxBodyBytes = limit;
      }
      assert.equal(fakeOpenAi.requests.length, upstreamBefore, 'no rejected request reached the upstream');
      // Refused before any provider was asked: nothing was spent, and no telemetry row is written for them.
      assert.equal(await storedRows(), rowsBefore);
      // The proxy still serves on the same kind of connection afterwards.
      const ok = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(ok.choices[0].message.content, OPENAI_TEXT.join(''));
    });

    it('429 with Retry-After reaches the client and the row; a 503 falls back to the next deployment', async () => {
      fakeOpenAi.script.push({ status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } } });
      let requestId: string | null = null;
      await assert.rejects(openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.RateLimitError);
        assert.equal(error.headers?.get('retry-after'), '7');
        assert.equal(error.code, 'rate_limit_exceeded');
        requestId = error.headers?.get('x-tollgate-request-id') ?? null;
        return true;
      });
      const r = await row(requestId);
      assert.deepEqual([r.status, r.error_class, r.input_tokens, r.estimated_cost], [429, 'rate_limited', '0', '0']);

      fakeOpenAi.script.push({ status: 503, body: { error: { message: 'overloaded', type: 'server_error', param: null, code: null } } });
      const { data, response } = await openai.chat.completions.create({ model: 'fallback-model', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      assert.equal(data.choices[0].message.content, OPENAI_TEXT.join(''));
      assert.equal(response.headers.get('x-tollgate-route'), 'openai-backup/gpt-4o-mini');
      const f = await row(response.headers.get('x-tollgate-request-id'));
      assert.deepEqual([f.status, f.attempt, f.fallback_from, f.provider, f.input_tokens], [200, 2, 'openai/gpt-4o-mini', 'openai_compatible', '12']);
      assert.deepEqual(JSON.parse(f.attempts).map((a: { status: number }) => a.status), [503, 200]);
    });

    it('a cut-off stream and a server without usage are recorded with tokens counted by the tokenizer', async () => {
      fakeOpenAi.script.push({ cutAfterEvents: 3 });
      const { data: stream, response } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }).withResponse();
      let text = '';
      await assert.rejects(async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      });
      assert.equal(text, 'Hello from');
      const r = await row(response.headers.get('x-tollgate-request-id'));
      assert.equal(r.error_class, 'stream_interrupted');
      assert.equal(r.usage_source, 'estimated');
      assert.equal(r.output_tokens, '2', '"Hello from" is two tokens');
      assert.ok(Number(r.input_tokens) > 0);

      // "Hello from fake OpenAI" is 5 tokens in o200k_base.
      fakeBackup.noUsage = true;
      const { response: noUsage } = await openai.chat.completions.create({ model: 'local-llama', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      const n = await row(noUsage.headers.get('x-tollgate-request-id'));
      assert.deepEqual([n.usage_source, n.output_tokens, n.estimated_cost, n.price_ref], ['estimated', '5', '0', 'unpriced']);
      fakeBackup.noUsage = false;
    });

    it('an answer the upstream breaks off is a 502 in OpenAI format, recorded with its attempt and not retried elsewhere', async () => {
      fakeOpenAi.script.push({ brokenBody: true });
      const backupCalls = fakeBackup.requests.length;
      const res = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-tollgate-feature': 'chat' },
        body: JSON.stringify({ model: 'fallback-model', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 502);
      const body = (await res.json()) as { error: { code: string; type: string; message: string } };
      assert.deepEqual([body.error.code, body.error.type], ['upstream_interrupted', 'api_error']);
      assert.match(body.error.message, /openai-main broke off its response/);
      assert.equal(res.headers.get('x-tollgate-route'), 'openai-main/gpt-4o-mini');
      assert.equal(fakeBackup.requests.length, backupCalls, 'the provider may have done the work: no second attempt');
      const r = await row(res.headers.get('x-tollgate-request-id'));
      assert.deepEqual([r.status, r.error_class, r.provider, r.attempt, r.streamed, r.estimated_cost], [502, 'stream_interrupted', 'openai', 1, false, '0']);
    });

    /** Resolves with the proxy's next telemetry event once it records it (after the tokenizer's estimate). */
    function nextRecorded(): Promise<Record<string, unknown>> {
      const spool = proxy.context.spool;
      const record = spool.record.bind(spool);
      return new Promise((resolve) => {
        spool.record = (event: object) => {
          record(event);
          spool.record = record;
          resolve(event as Record<string, unknown>);
        };
      });
    }

    function abortableChat(stream: boolean, signal: AbortSignal): Promise<Response> {
      return fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-tollgate-feature': 'chat' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'tell me a long story' }], stream }),
        signal,
      });
    }

    // Bounded: without the early abort the held upstream request would keep these tests waiting until the fake stops.
    it('a client leaving mid-stream ends the upstream request at once and is recorded as 499 with estimated tokens', { timeout: 30_000 }, async () => {
      fakeOpenAi.script.push({ holdAfterEvents: 2 });
      const upstreamClosed = fakeOpenAi.abandoned();
      const recorded = nextRecorded();
      const client = new AbortController();
      const res = await abortableChat(true, client.signal);
      assert.equal(res.status, 200);
      const requestId = res.headers.get('x-tollgate-request-id');
      const first = await res.body!.getReader().read();
      assert.match(new TextDecoder().decode(first.value), /Hello/);
      // The upstream has sent two events and holds the stream open; the client leaves.
      client.abort();
      await upstreamClosed;
      assert.equal((await recorded).request_id, requestId);
      const r = await row(requestId);
      assert.deepEqual([r.status, r.error_class, r.streamed, r.usage_source, r.feature], [499, 'client_disconnected', true, 'estimated', 'chat']);
      assert.ok(Number(r.input_tokens) > 0, 'the prompt is counted by the tokenizer');
      assert.ok(Number(r.estimated_cost) > 0, 'and priced');
    });

    it('a client leaving before any answer ends the upstream request too, streamed or not, and is recorded as 499', { timeout: 30_000 }, async () => {
      for (const stream of [false, true]) {
        fakeOpenAi.script.push({ hold: true });
        const upstreamHolding = fakeOpenAi.held();
        const upstreamClosed = fakeOpenAi.abandoned();
        const recorded = nextRecorded();
        const client = new AbortController();
        const answer = abortableChat(stream, client.signal).catch((error: Error) => error);
        // The upstream has the request and is still "generating" (no headers yet); the client gives up.
        await upstreamHolding;
        client.abort();
        assert.equal(((await answer) as Error).name, 'AbortError');
        await upstreamClosed;
        const r = await row((await recorded).request_id as string);
        assert.deepEqual(
          [r.status, r.error_class, r.streamed, r.usage_source, r.output_tokens, r.attempt, r.feature, r.ttft_ms],
          [499, 'client_disconnected', stream, 'estimated', '0', 1, 'chat', null],
          `stream: ${stream}`,
        );
        assert.ok(Number(r.input_tokens) > 0, 'the prompt is counted by the tokenizer');
        assert.ok(Number(r.estimated_cost) > 0, 'and priced');
      }
      // The proxy is unharmed: the next request is answered as usual.
      const after = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      assert.match(after.choices[0].message.content ?? '', /Hello/);
    });

    it('a separate proxy reads its catalogue over the authenticated api channel and sends telemetry to the collector', async () => {
      const denied = await fetch(`${api}/v1/internal/proxy-catalogue`);
      assert.equal(denied.status, 401);
      const collectorOnly = await post('/v1/api-tokens', { name: 'collector-1', scope: 'collector' });
      const wrongScope = await fetch(`${api}/v1/internal/proxy-catalogue`, { headers: { authorization: `Bearer ${collectorOnly.token}` } });
      assert.equal(wrongScope.status, 403, 'a collector token does not read credentials');
      const adminToken = await fetch(`${api}/v1/internal/proxy-catalogue`, { headers: adminAuth() });
      assert.equal(adminToken.status, 403, 'nor does an admin token: only the proxy scope reads them');
      const proxyToken = await post('/v1/api-tokens', { name: 'proxy-1', scope: 'proxy' });
      // A proxy sharing the api's TOLLGATE_SECRET_KEY may use the derived channel token instead (docker-compose).
      const derived = await fetch(`${api}/v1/internal/proxy-catalogue`, { headers: { authorization: `Bearer ${proxyChannelToken(loadSecretKey(running.stores.config))}` } });
      assert.equal(derived.status, 200);
      assert.equal(((await derived.json()) as { targets: unknown[] }).targets.length > 0, true);
      const remote = await startProxy(running.stores, running.shutdown, {
        apiUrl: api,
        apiToken: proxyToken.token,
        collectorToken: collectorOnly.token,
        spoolDir: `${target.env.TOLLGATE_DATA_DIR}/remote-proxy-spool`,
      });
      const client = new OpenAI({ baseURL: `${remote.url}/v1`, apiKey: key, maxRetries: 0 });
      const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tollgate-feature': 'remote' } }).withResponse();
      assert.equal(data.choices[0].message.content, OPENAI_TEXT.join(''));
      assert.equal(fakeOpenAi.requests.at(-1)!.headers.authorization, 'Bearer sk-upstream-secret', 'credentials arrived over the channel');
      await remote.context.spool.flush();
      const requestId = response.headers.get('x-tollgate-request-id');
      const rows = (await (
        await running.stores.clickhouse.query({ query: `SELECT feature, input_tokens, estimated_cost FROM llm_requests FINAL WHERE request_id = {id:String}`, query_params: { id: requestId }, format: 'JSONEachRow' })
      ).json()) as { feature: string; input_tokens: string; estimated_cost: string }[];
      assert.deepEqual(rows, [{ feature: 'remote', input_tokens: '12', estimated_cost: '0.0000045' }]);
    });

    it('exports the added-latency histogram on /metrics', async () => {
      const text = await (await fetch(`${proxy.url}/metrics`)).text();
      assert.match(text, /tollgate_proxy_added_latency_seconds_bucket\{le="0.001",endpoint="chat",kind="response"\} \d+/);
      assert.match(text, /tollgate_proxy_added_latency_seconds_count\{endpoint="chat",kind="first_byte"\} [1-9]/);
    });

    it('a stop (SIGTERM drain) delivers every recorded event to ClickHouse before the stores close', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const { response } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${i}` }] }, { headers: { 'x-tollgate-feature': 'drain' } }).withResponse();
        ids.push(response.headers.get('x-tollgate-request-id')!);
      }
      // No flush here: the shutdown's drain phase must deliver them.
      await running.stop();
      running = await launch(target.env, [apiStarter, createProxyStarter({}, (h) => (proxy = h))]);
      const [counted] = (await (
        await running.stores.clickhouse.query({ query: `SELECT count() AS n FROM llm_requests FINAL WHERE request_id IN {ids:Array(String)} AND feature = 'drain'`, query_params: { ids }, format: 'JSONEachRow' })
      ).json()) as { n: string }[];
      assert.equal(counted.n, '20');
    });

    it('writes no provider credential, virtual key or channel token into any log line', () => {
      const logs = output.text();
      assert.match(logs, /"level":"debug"/, 'the flows above ran at debug level');
      assert.match(logs, /"level":"warn"/, 'and logged their failures (cut-off streams, 429s, unreachable sinks)');
      const secrets = ['sk-upstream-secret', 'sk-backup', 'sk-ant-secret', 'gm-key', 'ya29.token', 'bedrock-secret-key', 'az-key', key, proxyChannelToken(loadSecretKey(running.stores.config))];
      for (const secret of secrets) assert.equal(logs.includes(secret), false, `a log line holds ${secret.slice(0, 6)}…`);
    });
  });
}
