import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/**
 * A scripted answer for the next request: a status with body/headers, a stream cut off after some events, a JSON body
 * cut off half-way (the connection dropped before its declared length), no answer
 * at all until the caller goes away (a long generation), or (SSE providers) a stream that stops after some events and
 * stays open until the caller goes away (a long pause in generation). `abandoned()` reports the caller leaving.
 */
export type Scripted =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { cutAfterEvents: number }
  | { hold: true }
  | { brokenBody: true }
  | { holdAfterEvents: number };

/**
 * Base of the local LLM upstream doubles: records every request, lets a test queue scripted answers (errors, 429 with
 * Retry-After, cut-off streams), and otherwise answers through the provider-specific handler.
 */
export abstract class FakeLlmServer {
  readonly requests: ReceivedRequest[] = [];
  readonly script: Scripted[] = [];
  private server?: Server;
  private holdNext = false;
  private readonly abandonedWaiters: (() => void)[] = [];
  private readonly heldWaiters: (() => void)[] = [];
  url = '';

  /** Resolves when the next `hold` request has arrived and is being held. */
  held(): Promise<void> {
    return new Promise((resolve) => this.heldWaiters.push(resolve));
  }

  /** Resolves when the caller closes the next held request or stream (see `hold` and `holdAfterEvents`). */
  abandoned(): Promise<void> {
    return new Promise((resolve) => this.abandonedWaiters.push(resolve));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // Binary or non-JSON bodies are kept as text.
        }
        const path = (req.url ?? '/').split('?')[0];
        const received: ReceivedRequest = { method: req.method ?? '', path, headers: req.headers, body };
        this.requests.push(received);
        const next = this.script.shift();
        if (next && 'status' in next) {
          const payload = JSON.stringify(next.body);
          res.writeHead(next.status, { 'content-type': 'application/json', ...(next.headers ?? {}) });
          res.end(payload);
          return;
        }
        if (next && 'brokenBody' in next) {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
          res.write('{"id":"chatcmpl-broken","object":"chat.completion","choi');
          setImmediate(() => res.socket?.destroy());
          return;
        }
        if (next && 'hold' in next) {
          res.on('close', () => this.abandonedWaiters.shift()?.());
          this.heldWaiters.shift()?.();
          return;
        }
        this.holdNext = next !== undefined && 'holdAfterEvents' in next;
        const stopAfter = next && 'cutAfterEvents' in next ? next.cutAfterEvents : next && 'holdAfterEvents' in next ? next.holdAfterEvents : undefined;
        this.handle(received, req, res, stopAfter);
      });
    });
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  protected abstract handle(request: ReceivedRequest, req: IncomingMessage, res: ServerResponse, cutAfterEvents?: number): void;

  /**
   * Writes SSE events; with `cutAfter`, destroys the socket after that many events (a dropped upstream), or, when the
   * script said hold, keeps the stream open after them until the caller closes it.
   */
  protected writeSse(res: ServerResponse, events: string[], cutAfter?: number, contentType = 'text/event-stream'): void {
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' });
    events.forEach((event, i) => {
      if (cutAfter !== undefined && i >= cutAfter) return;
      res.write(event);
    });
    if (this.holdNext) {
      this.holdNext = false;
      res.on('close', () => this.abandonedWaiters.shift()?.());
      return;
    }
    if (cutAfter !== undefined) {
      // Let the written events reach the proxy, then drop the connection without finishing the chunked body.
      setImmediate(() => res.socket?.destroy());
      return;
    }
    res.end();
  }

  protected json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}
