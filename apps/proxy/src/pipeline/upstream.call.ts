import { EventEmitter } from 'node:events';
import { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { UpstreamRequest } from '@tollgate/providers';
import { ProxyContext } from './proxy.context';

/**
 * The client going away before its answer was sent, as the signal undici aborts the upstream request on (before the
 * response headers, or by destroying the body after them). Undici takes an EventEmitter with `aborted` as a signal:
 * in a loopback test of undici requests here, an AbortController added ~20 µs of CPU per request, this ~2 µs.
 */
export class ClientDeparture extends EventEmitter {
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

/**
 * Sends one attempt over the keep-alive pools. Resolves with the response once its headers arrive; rejects when the
 * upstream cannot be reached or sends no headers in time, or when the client left (`departure.aborted`).
 */
export function sendUpstream(ctx: ProxyContext, upstreamRequest: UpstreamRequest, departure: ClientDeparture): Promise<Dispatcher.ResponseData> {
  return ctx.upstream.request({
    origin: upstreamRequest.origin,
    path: upstreamRequest.path,
    method: 'POST',
    headers: upstreamRequest.headers,
    body: upstreamRequest.body,
    headersTimeout: 300_000,
    bodyTimeout: 300_000,
    signal: departure,
  });
}

/** A complete upstream body, or undefined when reading it ended because the client left. */
export async function readUpstreamBody(body: { arrayBuffer(): Promise<ArrayBuffer> }, departure: ClientDeparture): Promise<Buffer | undefined> {
  try {
    return Buffer.from(await body.arrayBuffer());
  } catch (error) {
    if (departure.aborted) return undefined;
    throw error;
  }
}
