import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { Stores } from '@tollgate/storage';

/** OpenAI-format error body, as every OpenAI-compatible client expects. */
export function writeOpenAiError(res: ServerResponse, status: number, message: string, type: string, code: string | null = null): void {
  const body = JSON.stringify({ error: { message, type, param: null, code } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The proxy's HTTP front. Plain node:http (no framework, no ORM) because it sits on every LLM request's path.
 */
export function createProxyServer(stores: Stores): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url?.split('?', 1)[0] ?? '/';
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","app":"proxy"}');
      return;
    }
    if (req.method === 'GET' && path === '/readyz') {
      stores.readiness().then(
        (report) => {
          res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ app: 'proxy', ...report }));
        },
        (error: Error) => writeOpenAiError(res, 503, error.message, 'service_unavailable'),
      );
      return;
    }
    writeOpenAiError(res, 404, `Unknown route ${req.method} ${path}`, 'invalid_request_error', 'not_found');
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
