import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A local double of Azure's client-credentials token endpoint and the Cost Management Query API: positional
 * `properties.rows` described by `properties.columns`, `rowsPerPage` rows per page chained by `nextLink` (a URL the
 * client POSTs the same body to, carrying `$skiptoken`), UsageDate as a yyyymmdd number, costs as JSON numbers, and
 * `throttleFirst` queries answered 429 with the QPU retry-after header first.
 */
export class FakeAzureCostServer {
  readonly queries: { url: string; body: unknown; auth?: string }[] = [];
  throttled = 0;
  private server?: Server;
  url = '';

  constructor(
    readonly columns: { name: string; type: string }[],
    readonly rows: unknown[][],
    private readonly rowsPerPage = 2,
    private throttleFirst = 0,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(url.pathname)) {
      const form = new URLSearchParams(raw);
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_secret') !== 'azure-secret') {
        return send(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
      }
      return send(200, { token_type: 'Bearer', expires_in: 3599, access_token: 'fake-arm-token' });
    }
    if (req.method === 'POST' && url.pathname.endsWith('/providers/Microsoft.CostManagement/query')) {
      this.queries.push({ url: url.pathname + url.search, body: JSON.parse(raw), auth: req.headers.authorization });
      if (req.headers.authorization !== 'Bearer fake-arm-token') return send(401, { error: { code: 'AuthenticationFailed', message: 'bad token' } });
      if (this.throttleFirst > 0) {
        this.throttleFirst--;
        this.throttled++;
        return send(429, { error: { code: '429', message: 'Too many requests. Please retry.' } }, { 'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': '0' });
      }
      const offset = Number(url.searchParams.get('$skiptoken') ?? '0');
      const next = offset + this.rowsPerPage < this.rows.length ? offset + this.rowsPerPage : undefined;
      const nextUrl = new URL(url.toString());
      if (next !== undefined) nextUrl.searchParams.set('$skiptoken', String(next));
      return send(200, {
        id: `${url.pathname}/q1`,
        name: 'q1',
        type: 'Microsoft.CostManagement/query',
        location: null,
        sku: null,
        eTag: null,
        properties: { nextLink: next === undefined ? null : nextUrl.toString(), columns: this.columns, rows: this.rows.slice(offset, offset + this.rowsPerPage) },
      });
    }
    send(404, { error: { code: 'NotFound', message: `${req.method} ${url.pathname}` } });
  }
}
