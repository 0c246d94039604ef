import { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@tollgate/core';
import { answerComplete, answerUpstreamError, answerUpstreamFailure, routeOf } from './client.responder';
import { ProxyContext } from './proxy.context';
import { ProxyHttpError, toProxyHttpError, writeError } from './proxy-errors';
import { Exchange, Operation, RequestScope } from './proxy.operation';
import { attemptOf, recordDeparture, recordRejected } from './request.recorder';
import { relayStream } from './stream.relay';
import { ClientDeparture, readUpstreamBody, sendUpstream } from './upstream.call';

const logger = new Logger('proxy');
const now = () => performance.now();

/**
 * Runs one operation: tries routing's candidates for the requested model in order (the next one when the fallback
 * policy says so, which it never does once anything was sent to the client), answers the client in its format, and
 * records exactly one telemetry event with every attempt.
 */
export async function runOperation(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, op: Operation, scope: RequestScope): Promise<void> {
  const routed = ctx.routes.candidates(scope.requestedModel, op);
  const targets = Array.isArray(routed) ? routed : await routed;
  const x: Exchange = {
    ctx,
    res,
    op,
    scope,
    attempts: [],
    // A client that leaves ends the upstream request at once, whatever phase it is in (waiting for a complete
    // answer, or mid-stream): the provider stops generating, and billing, instead of finishing work nobody will read.
    departure: new ClientDeparture(res),
    streamContext: { requestId: scope.requestId, clientWantsUsage: op.clientWantsUsage, created: Math.floor(scope.startedWall / 1000) },
  };
  const fallback = ctx.fallback;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i];
    const isLast = i === targets.length - 1;
    const built = op.build(target);
    const upstreamRequest = built instanceof Promise ? await built : built;
    const sentAt = now();
    let response;
    try {
      response = await sendUpstream(ctx, upstreamRequest, x.departure);
    } catch (error) {
      if (x.departure.aborted) return recordDeparture(ctx, op, scope, target, x.attempts, sentAt);
      const errorClass = fallback.unreachableClass(error);
      x.attempts.push(attemptOf(target, 0, errorClass, sentAt));
      if (!isLast && fallback.triesNext('unreachable', 0)) continue;
      const failure = new ProxyHttpError(502, `upstream ${target.providerName} unreachable: ${(error as Error).message}`, 'api_error', 'upstream_unreachable', null, errorClass);
      return answerUpstreamFailure(x, target, failure);
    }

    const status = response.statusCode;
    if (status >= 400) {
      // An error body cut short still leaves its status to answer with (and a generic message).
      const body = await readUpstreamBody(response.body, x.departure).catch(() => Buffer.alloc(0));
      if (!body) return recordDeparture(ctx, op, scope, target, x.attempts, sentAt);
      const errorClass = fallback.errorClassFor(status);
      x.attempts.push(attemptOf(target, status, errorClass, sentAt));
      if (!isLast && fallback.triesNext('error_status', status)) continue;
      return answerUpstreamError(x, target, response, body, errorClass);
    }

    if (op.stream) return relayStream(x, target, response.body, sentAt);
    let body: Buffer | undefined;
    try {
      body = await readUpstreamBody(response.body, x.departure);
    } catch (error) {
      logger.warn('upstream response broken off', { requestId: scope.requestId, route: routeOf(target), error });
      x.attempts.push(attemptOf(target, status, 'stream_interrupted', sentAt));
      // The fallback policy never moves a broken-off answer on: the provider may have done (and billed) the work.
      if (!isLast && fallback.triesNext('broken_off', status)) continue;
      const failure = new ProxyHttpError(502, `upstream ${target.providerName} broke off its response: ${(error as Error).message}`, 'api_error', 'upstream_interrupted', null, 'stream_interrupted');
      return answerUpstreamFailure(x, target, failure);
    }
    if (!body) return recordDeparture(ctx, op, scope, target, x.attempts, sentAt);
    return answerComplete(x, target, status, body, sentAt);
  }
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
