import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A local OpenCost double: `GET /allocation/compute` answering `{code, status, data}` with one allocation map per
 * step, as OpenCost does (`__idle__` and `__unallocated__` keys included when asked). Records the query parameters.
 */
export class FakeOpenCostServer {
  readonly queries: URLSearchParams[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly sets: Record<string, Record<string, unknown>>[]) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://opencost.local');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'GET' || url.pathname !== '/allocation/compute') return send(404, { code: 404, status: 'error', message: 'not found' });
      if (!url.searchParams.get('window')) return send(400, { code: 400, status: 'error', message: "missing 'window' parameter" });
      this.queries.push(url.searchParams);
      const includeIdle = url.searchParams.get('includeIdle') === 'true';
      send(200, {
        code: 200,
        status: 'success',
        data: this.sets.map((set) => Object.fromEntries(Object.entries(set).filter(([k]) => includeIdle || k !== '__idle__'))),
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
