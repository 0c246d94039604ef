import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Logger, hashSecret, toMoneyString } from '@tollgate/core';
import { Attribution, resolveAttribution } from '@tollgate/gateway';
import { PriceQuote, TokenUsage, pricedModelNames } from '@tollgate/pricing';
import {
  ProviderTarget,
  StreamContext,
  StreamTranslator,
  TokenCounts,
  TranslatedResponse,
  UpstreamRequest,
  VirtualKeyRecord,
  emptyTokenCounts,
} from '@tollgate/providers';
import type { AttemptSummary, TelemetryEventInput } from '@tollgate/telemetry';
import { ProxyContext } from './proxy.context';
import { ProxyHttpError, toProxyHttpError, writeError } from './proxy-errors';

const logger = new Logger('proxy');
const now = () => performance.now();

export type Endpoint = 'chat' | 'embeddings' | 'messages' | 'responses';

/** What differs between endpoints; the pipeline does the rest (auth, attribution, routing, attempts, telemetry). */
export interface Operation {
  endpoint: Endpoint;
  stream: boolean;
  /** Which deployments can serve it (e.g. /v1/messages needs an Anthropic deployment). */
  supports(target: ProviderTarget): boolean;
  build(target: ProviderTarget): Promise<UpstreamRequest> | UpstreamRequest;
  /** Complete response → client body (undefined = forward upstream bytes) and usage. */
  complete(target: ProviderTarget, body: Buffer, context: StreamContext): TranslatedResponse;
  streamer(target: ProviderTarget, context: StreamContext): StreamTranslator;
  /** Upstream error → client error body, in the endpoint's format. */
  errorBody(target: ProviderTarget, status: number, body: Buffer): string;
  /** Prompt tokens by tokenizer, when the provider reports no usage. */
  estimatePromptTokens(): Promise<number>;
  clientWantsUsage: boolean;
}

export interface RequestScope {
  requestId: string;
  startedAt: number;
  startedWall: number;
  key: VirtualKeyRecord;
  attribution: Attribution;
  requestedModel: string;
}

/** Statuses worth trying the next deployment for: rate limits, overload and server errors. */
const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504, 529]);

/**
 * Reads the whole request body, refusing more than maxBytes with a 413. The connection is not destroyed: the rest of
 * an oversized body is read and dropped (Node's server does so once the 413 is sent, within its request timeout), so
 * the client reads the 413 instead of a reset connection, and a keep-alive connection stays usable.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new ProxyHttpError(413, `request body exceeds ${maxBytes} bytes`, 'invalid_request_error', 'request_too_large');
  if (Number(req.headers['content-length']) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop keeping it; the stream keeps flowing with no listener, which drops the rest.
        req.off('data', onData);
        req.off('end', onEnd);
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

export function parseBody(raw: Buffer): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ProxyHttpError(400, `request body is not valid JSON: ${(error as Error).message}`, 'invalid_request_error', 'invalid_json');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ProxyHttpError(400, 'request body must be a JSON object', 'invalid_request_error', 'invalid_json');
  return body as Record<string, unknown>;
}

/**
 * The caller's virtual key from `Authorization: Bearer tg-…` (OpenAI SDKs) or `x-api-key` (Anthropic SDKs). A key
 * already seen is answered synchronously from the catalogue's memo (no promise, no hashing on the hot path); only
 * an unknown key waits for a catalogue reload.
 */
export function authenticate(ctx: ProxyContext, req: IncomingMessage): VirtualKeyRecord | Promise<VirtualKeyRecord> {
  let presented: string | undefined;
  const auth = req.headers.authorization;
  if (auth && auth.startsWith('Bearer ')) presented = auth.slice(7).trim();
  else if (typeof req.headers['x-api-key'] === 'string') presented = req.headers['x-api-key'].trim();
  if (!presented) throw new ProxyHttpError(401, 'missing virtual key: send `Authorization: Bearer tg-…`', 'authentication_error', 'missing_api_key');
  if (!presented.startsWith('tg-')) throw new ProxyHttpError(401, 'not a Tollgate virtual key (keys start with `tg-`)', 'authentication_error', 'invalid_api_key');
  return ctx.catalogue.keyFor(presented) ?? authenticateAfterReload(ctx, presented);
}

async function authenticateAfterReload(ctx: ProxyContext, presented: string): Promise<VirtualKeyRecord> {
  const key = await ctx.catalogue.keyAfterReload(hashSecret(presented));
  if (key) return key;
  // No snapshot yet (the api is down or not up): a 503 to retry, not a 401 that calls a good key unknown.
  ctx.catalogue.assertLoaded();
  throw new ProxyHttpError(401, 'unknown or revoked virtual key', 'authentication_error', 'invalid_api_key');
}

export function beginScope(ctx: ProxyContext, req: IncomingMessage, key: VirtualKeyRecord, body: Record<string, unknown>, startedAt: number): RequestScope {
  const model = body.model;
  if (typeof model !== 'string' || model === '') throw new ProxyHttpError(400, 'model: required string', 'invalid_request_error', 'invalid_value', 'model');
  if (key.allowedModels && !key.allowedModels.includes(model)) {
    throw new ProxyHttpError(403, `model '${model}' is not allowed for this virtual key`, 'permission_error', 'model_not_allowed', 'model');
  }
  const metadataUser = (body.metadata as { user_id?: unknown } | undefined)?.user_id;
  const attribution = resolveAttribution(req.headers, body.user ?? metadataUser, key.defaults);
  return { requestId: randomUUID(), startedAt, startedWall: Date.now() - (now() - startedAt), key, attribution, requestedModel: model };
}

function routeTargets(ctx: ProxyContext, op: Operation, model: string): ProviderTarget[] | Promise<ProviderTarget[]> {
  const all = ctx.catalogue.targets(model);
  return all ? usableTargets(op, model, all) : ctx.catalogue.targetsAfterReload(model).then((reloaded) => usableTargets(op, model, reloaded));
}

function usableTargets(op: Operation, model: string, all: ProviderTarget[] | undefined): ProviderTarget[] {
  if (!all || all.length === 0) throw new ProxyHttpError(404, `The model '${model}' does not exist or has no enabled deployment`, 'invalid_request_error', 'model_not_found', 'model');
  // Usually every deployment qualifies: the catalogue's own array is used as is (it is never mutated).
  let usable: ProviderTarget[] | undefined;
  for (let i = 0; i < all.length; i++) {
    if (op.supports(all[i])) {
      if (usable) usable.push(all[i]);
    } else if (!usable) usable = all.slice(0, i);
  }
  usable ??= all;
  if (usable.length === 0) throw new ProxyHttpError(400, `no deployment of '${model}' supports ${op.endpoint}`, 'invalid_request_error', 'unsupported_endpoint', 'model');
  return usable;
}

/** One upstream attempt for the telemetry event: which deployment, how it ended, and how long it took from `sentAt`. */
function attemptOf(target: ProviderTarget, status: number, errorClass: string, sentAt: number, endedAt = now()): AttemptSummary {
  return { provider: target.kind, model: target.upstreamModel, provider_account: target.providerAccount, status, error_class: errorClass, latency_ms: Math.round(endedAt - sentAt) };
}

function errorClassFor(status: number): string {
  if (status === 429) return 'rate_limited';
  if (status === 408 || status === 504) return 'upstream_timeout';
  if (status >= 500) return 'upstream_5xx';
  if (status === 401 || status === 403) return 'upstream_auth';
  return 'upstream_4xx';
}

function toTokenUsage(c: TokenCounts): TokenUsage {
  return {
    input_tokens: c.input,
    cached_input_tokens: c.cachedInput,
    cache_write_tokens: c.cacheWrite,
    cache_write_1h_tokens: c.cacheWrite1h,
    cache_write_5m_tokens: c.cacheWrite - c.cacheWrite1h,
    output_tokens: c.output,
    reasoning_tokens: c.reasoning,
    audio_input_tokens: c.audioInput,
    audio_output_tokens: c.audioOutput,
    image_tokens: c.image,
  };
}

function price(ctx: ProxyContext, target: ProviderTarget, servedModel: string | undefined, usage: TokenCounts, at: Date): PriceQuote | null {
  // Azure and Bedrock name deployments, not models: the served model (when reported) is the one the catalog knows.
  // An override set on either name still wins over the catalog (the engine looks for overrides on both first).
  try {
    return ctx.pricing.priceSync(target.kind, pricedModelNames(target.upstreamModel, servedModel), toTokenUsage(usage), at, {
      providerAccount: target.providerAccount || undefined,
    });
  } catch {
    // No price under any name: the row is recorded unpriced (cost 0), never dropped.
    return null;
  }
}

interface Outcome {
  target?: ProviderTarget;
  status: number;
  errorClass: string;
  usage: TokenCounts | null;
  usageSource: 'provider' | 'estimated';
  servedModel?: string;
  streamed: boolean;
  ttftMs: number | null;
  quote: PriceQuote | null;
}

function record(ctx: ProxyContext, scope: RequestScope, outcome: Outcome, attempts: AttemptSummary[]): void {
  const target = outcome.target;
  const usage = outcome.usage ?? emptyTokenCounts();
  const event: TelemetryEventInput = {
    request_id: scope.requestId,
    ts: new Date(scope.startedWall).toISOString(),
    feature: scope.attribution.feature,
    customer: scope.attribution.customer,
    team: scope.attribution.team,
    env: scope.attribution.env,
    virtual_key: scope.key.id,
    provider: target?.kind ?? 'none',
    provider_account: target?.providerAccount ?? '',
    region: target?.region ?? '',
    model: target?.upstreamModel ?? scope.requestedModel,
    requested_model: scope.requestedModel,
    attempt: Math.max(1, attempts.length),
    fallback_from: attempts.length > 1 ? `${attempts[0].provider}/${attempts[0].model}` : '',
    status: outcome.status,
    error_class: outcome.errorClass,
    input_tokens: usage.input,
    cached_input_tokens: usage.cachedInput,
    cache_write_tokens: usage.cacheWrite,
    cache_write_1h_tokens: usage.cacheWrite1h,
    output_tokens: usage.output,
    reasoning_tokens: usage.reasoning,
    audio_input_tokens: usage.audioInput,
    audio_output_tokens: usage.audioOutput,
    image_tokens: usage.image,
    usage_source: outcome.usageSource,
    streamed: outcome.streamed,
    ttft_ms: outcome.ttftMs,
    latency_ms: Math.round(now() - scope.startedAt),
    estimated_cost: outcome.quote ? toMoneyString(outcome.quote.cost) : '0',
    price_ref: outcome.quote?.price_ref ?? 'unpriced',
    currency: outcome.quote?.currency ?? 'USD',
  };
  // A single attempt is the row itself; the list is kept when there were retries or fallbacks.
  if (attempts.length > 1) event.attempts = attempts;
  if (outcome.servedModel && target && outcome.servedModel !== target.upstreamModel) event.tags = { served_model: outcome.servedModel };
  ctx.spool.record(event);
}

/** Records a request refused before any upstream call (bad attribution, unknown model…): it still gets a row. */
export function recordRejected(ctx: ProxyContext, scope: RequestScope | undefined, error: ProxyHttpError): void {
  if (!scope) return;
  record(ctx, scope, { status: error.status, errorClass: error.errorClass, usage: null, usageSource: 'provider', streamed: false, ttftMs: null, quote: null }, []);
}

interface SettledUsage {
  usage: TokenCounts;
  source: 'provider' | 'estimated';
}

/**
 * The provider's usage as reported (synchronously, the common case), or else an estimate by the tokenizer thread.
 * The output text is only asked for when it is needed: a stream's text means parsing every content chunk again.
 */
function settleUsage(ctx: ProxyContext, op: Operation, usage: TokenCounts | null, output: { readonly outputText?: string }): SettledUsage | Promise<SettledUsage> {
  return usage ? { usage, source: 'provider' } : estimateUsage(ctx, op, output.outputText);
}

async function estimateUsage(ctx: ProxyContext, op: Operation, outputText: string | undefined): Promise<SettledUsage> {
  const estimated = emptyTokenCounts();
  try {
    [estimated.input, estimated.output] = await Promise.all([op.estimatePromptTokens(), ctx.estimator.count(outputText ?? '')]);
  } catch (error) {
    logger.warn('token estimate failed', { error });
  }
  return { usage: estimated, source: 'estimated' };
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };

/**
 * Runs one operation: tries the deployments of the requested model in order (next one on connection errors and
 * retryable statuses, as long as nothing was sent to the client yet), answers the client in its format, and
 * records exactly one telemetry event with every attempt.
 */
export async function runOperation(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, op: Operation, scope: RequestScope): Promise<void> {
  const routed = routeTargets(ctx, op, scope.requestedModel);
  const targets = Array.isArray(routed) ? routed : await routed;
  const attempts: AttemptSummary[] = [];
  const context: StreamContext = { requestId: scope.requestId, clientWantsUsage: op.clientWantsUsage, created: Math.floor(scope.startedWall / 1000) };
  // A client that leaves ends the upstream request at once, whatever phase it is in (waiting for a complete answer,
  // or mid-stream): the provider stops generating, and billing, instead of finishing work nobody will read.
  const departure = new ClientDeparture(res);

  for (let i = 0; i < targets.length; i++) {
    const target = targets[i];
    const isLast = i === targets.length - 1;
    const route = `${target.providerName}/${target.upstreamModel}`;
    const built = op.build(target);
    const upstreamRequest = built instanceof Promise ? await built : built;
    const sentAt = now();
    let response;
    try {
      response = await ctx.upstream.request({
        origin: upstreamRequest.origin,
        path: upstreamRequest.path,
        method: 'POST',
        headers: upstreamRequest.headers,
        body: upstreamRequest.body,
        headersTimeout: 300_000,
        bodyTimeout: 300_000,
        signal: departure,
      });
    } catch (error) {
      if (departure.aborted) return recordDeparture(ctx, op, scope, target, attempts, sentAt);
      const errorClass = (error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' ? 'upstream_timeout' : 'connect_error';
      attempts.push(attemptOf(target, 0, errorClass, sentAt));
      if (!isLast) continue;
      const failure = new ProxyHttpError(502, `upstream ${target.providerName} unreachable: ${(error as Error).message}`, 'api_error', 'upstream_unreachable', null, errorClass);
      return answerUpstreamFailure(ctx, res, op, scope, target, attempts, failure);
    }

    const status = response.statusCode;
    if (status >= 400) {
      // An error body cut short still leaves its status to answer with (and a generic message).
      const body = await readUpstreamBody(response.body, departure).catch(() => Buffer.alloc(0));
      if (!body) return recordDeparture(ctx, op, scope, target, attempts, sentAt);
      const errorClass = errorClassFor(status);
      attempts.push(attemptOf(target, status, errorClass, sentAt));
      if (RETRYABLE.has(status) && !isLast) continue;
      const text = op.errorBody(target, status, body);
      const headers: Record<string, string | number> = {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-tollgate-request-id': scope.requestId,
        'x-tollgate-route': route,
        'x-tollgate-cost': '0',
      };
      const retryAfter = response.headers['retry-after'];
      if (typeof retryAfter === 'string') headers['retry-after'] = retryAfter;
      res.writeHead(status, headers);
      res.end(text);
      record(ctx, scope, { target, status, errorClass, usage: null, usageSource: 'provider', streamed: op.stream, ttftMs: null, quote: null }, attempts);
      countRequest(ctx, op, target, status);
      return;
    }

    if (!op.stream) {
      let body: Buffer | undefined;
      try {
        body = await readUpstreamBody(response.body, departure);
      } catch (error) {
        // The answer was cut off: not retried elsewhere, as the provider may have done (and billed) the work.
        logger.warn('upstream response broken off', { requestId: scope.requestId, route, error });
        attempts.push(attemptOf(target, status, 'stream_interrupted', sentAt));
        const failure = new ProxyHttpError(502, `upstream ${target.providerName} broke off its response: ${(error as Error).message}`, 'api_error', 'upstream_interrupted', null, 'stream_interrupted');
        return answerUpstreamFailure(ctx, res, op, scope, target, attempts, failure);
      }
      if (!body) return recordDeparture(ctx, op, scope, target, attempts, sentAt);
      const upstreamDone = now();
      const translated = op.complete(target, body, context);
      const settling = settleUsage(ctx, op, translated.usage, translated);
      const settled = settling instanceof Promise ? await settling : settling;
      const quote = price(ctx, target, translated.servedModel, settled.usage, new Date(scope.startedWall));
      const out = translated.body ?? body;
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': typeof out === 'string' ? Buffer.byteLength(out) : out.length,
        'x-tollgate-request-id': scope.requestId,
        'x-tollgate-route': route,
        'x-tollgate-cost': quote ? quote.cost.toFixed() : '0',
      });
      res.end(out);
      attempts.push(attemptOf(target, status, '', sentAt, upstreamDone));
      record(ctx, scope, { target, status, errorClass: '', usage: settled.usage, usageSource: settled.source, servedModel: translated.servedModel, streamed: false, ttftMs: null, quote }, attempts);
      ctx.metrics.observeAdded(op.endpoint, 'response', (now() - scope.startedAt - (upstreamDone - sentAt)) / 1000);
      countRequest(ctx, op, target, status);
      return;
    }

    // Streaming: headers leave with the first chunk (one write, not two); the cost is only known at the end, so it
    // travels as an HTTP trailer.
    res.writeHead(200, {
      ...SSE_HEADERS,
      'x-tollgate-request-id': scope.requestId,
      'x-tollgate-route': route,
      trailer: 'x-tollgate-cost',
    });
    const translator = op.streamer(target, context);
    // What is written in one turn of the event loop leaves in one syscall: an upstream read often carries the last
    // events and the end of the stream together, so data, final chunk and trailer go out in one write instead of two.
    // The turn ends within microseconds (setImmediate), so no byte waits for the next upstream read.
    let corked = false;
    const coalesce = () => {
      if (corked) return;
      corked = true;
      res.cork();
      setImmediate(flushCorked);
    };
    const flushCorked = () => {
      if (!corked) return;
      corked = false;
      // end() has flushed everything itself; a destroyed response has nothing left to send.
      if (!res.writableEnded && !res.destroyed) res.uncork();
    };
    let firstUpstreamByte = 0;
    let firstClientByte = 0;
    let errorClass = '';
    try {
      for await (const chunk of response.body) {
        // The client's close already aborted the body; a chunk read before that is not sent.
        if (departure.aborted) break;
        if (!firstUpstreamByte) firstUpstreamByte = now();
        const out = translator.push(chunk as Buffer);
        if (out.length) {
          coalesce();
          const flushed = res.write(out);
          if (!firstClientByte) firstClientByte = now();
          // A slow client pauses the upstream read instead of growing our buffers.
          if (!flushed && !departure.aborted) await waitDrain(res);
        }
      }
    } catch (error) {
      errorClass = 'stream_interrupted';
      // The body aborted because the client left is not the upstream failing.
      if (!departure.aborted) logger.warn('upstream stream failed', { requestId: scope.requestId, route, error });
    }
    // However the loop ended once the client left (a break, or the aborted body's error), that is what happened.
    const clientGone = departure.aborted;
    if (clientGone) errorClass = 'client_disconnected';
    const tail = translator.end();
    if (!errorClass && !translator.completed) errorClass = 'stream_interrupted';
    if (!errorClass && translator.streamError) errorClass = `stream_error:${translator.streamError}`;
    const settling = settleUsage(ctx, op, translator.usage, translator);
    const settled = settling instanceof Promise ? await settling : settling;
    const quote = price(ctx, target, translator.servedModel, settled.usage, new Date(scope.startedWall));
    if (!clientGone) {
      if (tail.length) {
        coalesce();
        res.write(tail);
      }
      if (errorClass === 'stream_interrupted') {
        flushCorked(); // what the client would have received from the provider before the cut
        // The upstream dropped mid-stream: drop the client's stream too (unfinished chunked body) so it sees a broken
        // stream exactly as it would have from the provider, rather than a clean end that looks complete.
        res.destroy();
      } else {
        res.addTrailers({ 'x-tollgate-cost': quote ? quote.cost.toFixed() : '0' });
        res.end();
      }
    }
    const finalStatus = errorClass === 'client_disconnected' ? 499 : 200;
    attempts.push(attemptOf(target, finalStatus, errorClass, sentAt));
    record(
      ctx,
      scope,
      {
        target,
        status: finalStatus,
        errorClass,
        usage: settled.usage,
        usageSource: settled.source,
        servedModel: translator.servedModel,
        streamed: true,
        ttftMs: firstClientByte ? Math.round(firstClientByte - scope.startedAt) : null,
        quote,
      },
      attempts,
    );
    if (firstUpstreamByte && firstClientByte) {
      ctx.metrics.observeAdded(op.endpoint, 'first_byte', (sentAt - scope.startedAt + (firstClientByte - firstUpstreamByte)) / 1000);
    }
    countRequest(ctx, op, target, finalStatus);
    return;
  }
}

/**
 * The client going away before its answer was sent, as the signal undici aborts the upstream request on (before the
 * response headers, or by destroying the body after them). Undici takes an EventEmitter with `aborted` as a signal:
 * in a loopback test of undici requests here, an AbortController added ~20 µs of CPU per request, this ~2 µs.
 */
class ClientDeparture extends EventEmitter {
  aborted = false;

  constructor(res: ServerResponse) {
    super();
    res.once('close', () => {
      if (res.writableFinished) return;
      this.aborted = true;
      this.emit('abort');
    });
  }
}

/** A complete upstream body, or undefined when reading it ended because the client left. */
async function readUpstreamBody(body: { arrayBuffer(): Promise<ArrayBuffer> }, departure: ClientDeparture): Promise<Buffer | undefined> {
  try {
    return Buffer.from(await body.arrayBuffer());
  } catch (error) {
    if (departure.aborted) return undefined;
    throw error;
  }
}

/** Answers a 502 for an upstream that could not be reached or broke off, and records it with its attempts. */
function answerUpstreamFailure(ctx: ProxyContext, res: ServerResponse, op: Operation, scope: RequestScope, target: ProviderTarget, attempts: AttemptSummary[], failure: ProxyHttpError): void {
  writeError(res, failure, { 'x-tollgate-request-id': scope.requestId, 'x-tollgate-route': `${target.providerName}/${target.upstreamModel}` });
  record(ctx, scope, { target, status: failure.status, errorClass: failure.errorClass, usage: null, usageSource: 'provider', streamed: op.stream, ttftMs: null, quote: null }, attempts);
  countRequest(ctx, op, target, failure.status);
}

/**
 * Records a request whose client left before its answer (499 `client_disconnected`, as nginx logs it): the upstream
 * was aborted and reported no usage, so the prompt is counted by the tokenizer and priced; output is unknown (0).
 */
async function recordDeparture(ctx: ProxyContext, op: Operation, scope: RequestScope, target: ProviderTarget, attempts: AttemptSummary[], sentAt: number): Promise<void> {
  const settled = await estimateUsage(ctx, op, undefined);
  const quote = price(ctx, target, undefined, settled.usage, new Date(scope.startedWall));
  attempts.push(attemptOf(target, 499, 'client_disconnected', sentAt));
  record(ctx, scope, { target, status: 499, errorClass: 'client_disconnected', usage: settled.usage, usageSource: settled.source, streamed: op.stream, ttftMs: null, quote }, attempts);
  countRequest(ctx, op, target, 499);
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function countRequest(ctx: ProxyContext, op: Operation, target: ProviderTarget, status: number): void {
  ctx.metrics.countRequest(op.endpoint, target.kind, status);
}

/** Wraps a handler: any error becomes an OpenAI-format answer, and a refused request still gets its telemetry row. */
export async function guard(ctx: ProxyContext, res: ServerResponse, run: (setScope: (s: RequestScope) => void) => Promise<void>): Promise<void> {
  let scope: RequestScope | undefined;
  try {
    await run((s) => (scope = s));
  } catch (error) {
    const failure = toProxyHttpError(error);
    // The catalogue logs its own load failures (once per attempt): not once more per refused request.
    if (failure.status >= 500 && failure.errorClass !== 'catalogue_unavailable') logger.error('proxy request failed', { error });
    writeError(res, failure, scope ? { 'x-tollgate-request-id': scope.requestId } : {});
    recordRejected(ctx, scope, failure);
  }
}

