import type { Dispatcher } from 'undici';
import { ProviderTarget } from '@tollgate/providers';
import { ProxyHttpError, writeError } from './proxy-errors';
import { Exchange } from './proxy.operation';
import { attemptOf, countRequest, price, record, settleUsage } from './request.recorder';

// The client's answer once an attempt is final (a complete body, an upstream error, or no upstream at all), and
// the telemetry row that goes with it. Streams are answered by the stream relay.

const now = () => performance.now();

/** `x-tollgate-route`: which deployment answered. */
export function routeOf(target: ProviderTarget): string {
  return `${target.providerName}/${target.upstreamModel}`;
}

/** Passes an upstream error status on, its body in the endpoint's format (the attempt is already in `attempts`). */
export function answerUpstreamError(x: Exchange, target: ProviderTarget, response: Dispatcher.ResponseData, body: Buffer, errorClass: string): void {
  const { ctx, res, op, scope } = x;
  const status = response.statusCode;
  const text = op.errorBody(target, status, body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-tollgate-request-id': scope.requestId,
    'x-tollgate-route': routeOf(target),
    'x-tollgate-cost': '0',
  };
  const retryAfter = response.headers['retry-after'];
  if (typeof retryAfter === 'string') headers['retry-after'] = retryAfter;
  res.writeHead(status, headers);
  res.end(text);
  record(ctx, scope, { target, status, errorClass, usage: null, usageSource: 'provider', streamed: op.stream, ttftMs: null, quote: null }, x.attempts);
  countRequest(ctx, op, target, status);
}

/** Answers a complete upstream body, translated to the endpoint's format, with its cost as a header. */
export async function answerComplete(x: Exchange, target: ProviderTarget, status: number, body: Buffer, sentAt: number): Promise<void> {
  const { ctx, res, op, scope } = x;
  const upstreamDone = now();
  const translated = op.complete(target, body, x.streamContext);
  const settling = settleUsage(ctx, op, translated.usage, translated);
  const settled = settling instanceof Promise ? await settling : settling;
  const quote = price(ctx, target, translated.servedModel, settled.usage, new Date(scope.startedWall));
  const out = translated.body ?? body;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': typeof out === 'string' ? Buffer.byteLength(out) : out.length,
    'x-tollgate-request-id': scope.requestId,
    'x-tollgate-route': routeOf(target),
    'x-tollgate-cost': quote ? quote.cost.toFixed() : '0',
  });
  res.end(out);
  x.attempts.push(attemptOf(target, status, '', sentAt, upstreamDone));
  record(ctx, scope, { target, status, errorClass: '', usage: settled.usage, usageSource: settled.source, servedModel: translated.servedModel, streamed: false, ttftMs: null, quote }, x.attempts);
  ctx.metrics.observeAdded(op.endpoint, 'response', (now() - scope.startedAt - (upstreamDone - sentAt)) / 1000);
  countRequest(ctx, op, target, status);
}

/** Answers a 502 for an upstream that could not be reached or broke off, and records it with its attempts. */
export function answerUpstreamFailure(x: Exchange, target: ProviderTarget, failure: ProxyHttpError): void {
  const { ctx, res, op, scope } = x;
  writeError(res, failure, { 'x-tollgate-request-id': scope.requestId, 'x-tollgate-route': routeOf(target) });
  record(ctx, scope, { target, status: failure.status, errorClass: failure.errorClass, usage: null, usageSource: 'provider', streamed: op.stream, ttftMs: null, quote: null }, x.attempts);
  countRequest(ctx, op, target, failure.status);
}
