import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { ReadinessProbe, Stores } from '@tollgate/storage';
import { ProxyContext } from './pipeline/proxy.context';
import { handleChatCompletions, handleEmbeddings, handleModels, handleResponses } from './handlers/openai.handlers';
import { handleAnthropicMessages } from './handlers/anthropic-messages.handler';

/** OpenAI-format error body, as every OpenAI-compatible client expects. */
export function writeOpenAiError(res: ServerResponse, status: number, message: string, type: string, code: string | null = null): void {
  const body = JSON.stringify({ error: { message, type, param: null, code } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The proxy's HTTP front. Plain node:http (no framework, no ORM) because it sits on every LLM request's path:
 * routing is a few string comparisons. `/readyz` reports the stores and `readinessChecks` (the catalogue).
 */
export function createProxyServer(
  stores: Stores,
  ctx: ProxyContext,
  readinessChecks: Record<string, ReadinessProbe> = {},
  /** The checks readiness rests on (default: all); the rest are reported only. */
  requiredChecks?: string[],
): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const startedAt = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (req.method === 'POST') {
      switch (path) {
        case '/v1/chat/completions':
          void handleChatCompletions(ctx, req, res, startedAt);
          return;
        case '/v1/messages':
          void handleAnthropicMessages(ctx, req, res, startedAt);
          return;
        case '/v1/embeddings':
          void handleEmbeddings(ctx, req, res, startedAt);
          return;
        case '/v1/responses':
          void handleResponses(ctx, req, res, startedAt);
          return;
      }
    } else if (req.method === 'GET') {
      switch (path) {
        case '/v1/models':
          void handleModels(ctx, req, res);
          return;
        case '/healthz':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","app":"proxy"}');
          return;
        case '/readyz':
          stores.readiness(readinessChecks, { requiredChecks }).then(
            (report) => {
              res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ app: 'proxy', ...report }));
            },
            (error: Error) => writeOpenAiError(res, 503, error.message, 'service_unavailable'),
          );
          return;
        case '/metrics': {
          const stats = ctx.spool.stats();
          ctx.metrics.spoolBacklog.set(stats.recorded - stats.delivered);
          ctx.metrics.spoolDropped.set(stats.dropped);
          ctx.metrics.registry.metrics().then(
            (text) => res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType }).end(text),
            (error: Error) => writeOpenAiError(res, 500, error.message, 'api_error'),
          );
          return;
        }
      }
    }
    writeOpenAiError(res, 404, `Unknown route ${req.method} ${path}`, 'invalid_request_error', 'not_found');
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
