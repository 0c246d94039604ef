import { ServerResponse } from 'node:http';
import { Logger } from '@tollgate/core';
import { ProviderTarget, StreamTranslator } from '@tollgate/providers';
import { routeOf } from './client.responder';
import { Exchange } from './proxy.operation';
import { attemptOf, countRequest, price, record, settleUsage } from './request.recorder';
import { ClientDeparture } from './upstream.call';

const logger = new Logger('proxy');
const now = () => performance.now();

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };

/**
 * Relays a successful upstream stream to the client as it arrives, in the endpoint's format, and records it when it
 * ends. Headers leave with the first chunk (one write, not two); the cost is only known at the end, so it travels
 * as an HTTP trailer. A stream is never moved to another deployment: the client may have bytes of it already.
 */
export async function relayStream(x: Exchange, target: ProviderTarget, body: AsyncIterable<unknown>, sentAt: number): Promise<void> {
  const { ctx, res, op, scope } = x;
  const route = routeOf(target);
  res.writeHead(200, {
    ...SSE_HEADERS,
    'x-tollgate-request-id': scope.requestId,
    'x-tollgate-route': route,
    trailer: 'x-tollgate-cost',
  });
  const relay = new StreamRelay(res, op.streamer(target, x.streamContext), x.departure);
  await relay.pump(body, scope.requestId, route);
  const tail = relay.finish();
  const translator = relay.translator;
  const settling = settleUsage(ctx, op, translator.usage, translator);
  const settled = settling instanceof Promise ? await settling : settling;
  const quote = price(ctx, target, translator.servedModel, settled.usage, new Date(scope.startedWall));
  relay.close(tail, quote ? quote.cost.toFixed() : '0');
  const errorClass = relay.errorClass;
  const finalStatus = errorClass === 'client_disconnected' ? 499 : 200;
  x.attempts.push(attemptOf(target, finalStatus, errorClass, sentAt));
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
      ttftMs: relay.firstClientByte ? Math.round(relay.firstClientByte - scope.startedAt) : null,
      quote,
    },
    x.attempts,
  );
  if (relay.firstUpstreamByte && relay.firstClientByte) {
    ctx.metrics.observeAdded(op.endpoint, 'first_byte', (sentAt - scope.startedAt + (relay.firstClientByte - relay.firstUpstreamByte)) / 1000);
  }
  countRequest(ctx, op, target, finalStatus);
}

/** One stream's way to the client: the writes, their coalescing, and how the stream ended. */
class StreamRelay {
  firstUpstreamByte = 0;
  firstClientByte = 0;
  /** '' for a clean end; else stream_interrupted, client_disconnected or stream_error:<class>. */
  errorClass = '';
  private corked = false;

  constructor(
    private readonly res: ServerResponse,
    readonly translator: StreamTranslator,
    private readonly departure: ClientDeparture,
  ) {}

  /** Copies the upstream body to the client, translated, until it ends, fails, or the client leaves. */
  async pump(body: AsyncIterable<unknown>, requestId: string, route: string): Promise<void> {
    const { res, translator, departure } = this;
    try {
      for await (const chunk of body) {
        // The client's close already aborted the body; a chunk read before that is not sent.
        if (departure.aborted) break;
        if (!this.firstUpstreamByte) this.firstUpstreamByte = now();
        const out = translator.push(chunk as Buffer);
        if (out.length) {
          this.coalesce();
          const flushed = res.write(out);
          if (!this.firstClientByte) this.firstClientByte = now();
          // A slow client pauses the upstream read instead of growing our buffers.
          if (!flushed && !departure.aborted) await waitDrain(res);
        }
      }
    } catch (error) {
      this.errorClass = 'stream_interrupted';
      // The body aborted because the client left is not the upstream failing.
      if (!departure.aborted) logger.warn('upstream stream failed', { requestId, route, error });
    }
  }

  /** Ends the translation (its tail is returned, not yet written) and settles how the stream ended. */
  finish(): string | Buffer {
    // However the loop ended once the client left (a break, or the aborted body's error), that is what happened.
    if (this.departure.aborted) this.errorClass = 'client_disconnected';
    const tail = this.translator.end();
    if (!this.errorClass && !this.translator.completed) this.errorClass = 'stream_interrupted';
    if (!this.errorClass && this.translator.streamError) this.errorClass = `stream_error:${this.translator.streamError}`;
    return tail;
  }

  /** Writes the tail and ends the client's stream with its cost trailer, or breaks it off as the upstream's was. */
  close(tail: string | Buffer, cost: string): void {
    const res = this.res;
    // A client that left (as settled by finish) gets nothing more.
    if (this.errorClass === 'client_disconnected') return;
    if (tail.length) {
      this.coalesce();
      res.write(tail);
    }
    if (this.errorClass === 'stream_interrupted') {
      this.flushCorked(); // what the client would have received from the provider before the cut
      // The upstream dropped mid-stream: drop the client's stream too (unfinished chunked body) so it sees a broken
      // stream exactly as it would have from the provider, rather than a clean end that looks complete.
      res.destroy();
    } else {
      res.addTrailers({ 'x-tollgate-cost': cost });
      res.end();
    }
  }

  /**
   * What is written in one turn of the event loop leaves in one syscall: an upstream read often carries the last
   * events and the end of the stream together, so data, final chunk and trailer go out in one write instead of two.
   * The turn ends within microseconds (setImmediate), so no byte waits for the next upstream read.
   */
  private coalesce(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    setImmediate(this.flushCorked);
  }

  private readonly flushCorked = (): void => {
    if (!this.corked) return;
    this.corked = false;
    // end() has flushed everything itself; a destroyed response has nothing left to send.
    if (!this.res.writableEnded && !this.res.destroyed) this.res.uncork();
  };
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
