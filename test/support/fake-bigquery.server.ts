import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface Field {
  name: string;
  type: string;
  mode?: 'NULLABLE' | 'REPEATED' | 'REQUIRED';
  fields?: Field[];
}

/**
 * A local BigQuery REST double for the Cloud Billing export: `POST /bigquery/v2/projects/{p}/queries` (jobs.query)
 * answers the schema and the first page; `GET …/queries/{jobId}?pageToken=` (jobs.getQueryResults) the rest. Rows
 * are encoded as BigQuery does on the wire: `rows[].f[].v`, every scalar a string, records as `{f:[…]}`, repeated
 * fields as `[{v: …}]`, timestamps as integer microseconds. Requires a Bearer token.
 */
export class FakeBigQueryServer {
  readonly requests: { method: string; path: string; body?: any }[] = [];
  /** The largest page served (rows), to check a client pages rather than asks for everything. */
  largestPage = 0;
  private server?: Server;
  url = '';

  constructor(
    readonly fields: Field[],
    /** The table's rows, or `{ count, row }` to generate a large table page by page without holding it. */
    readonly rows: Record<string, unknown>[] | { count: number; row: (index: number) => Record<string, unknown> },
    private readonly pageSize = 2,
    readonly token = 'fake-gcp-token',
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
    const url = new URL(req.url ?? '/', this.url);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(payload));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return send(401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
    }
    const project = /^\/bigquery\/v2\/projects\/([^/]+)\/queries(?:\/([^/]+))?$/.exec(url.pathname);
    if (!project) return send(404, { error: { code: 404, message: `Not found: ${url.pathname}`, status: 'NOT_FOUND' } });
    const [, projectId, jobId] = project;
    const offset = req.method === 'GET' && jobId ? Number(url.searchParams.get('pageToken') ?? '0') : 0;
    if (req.method === 'POST' && !jobId && (!body?.query || body.useLegacySql !== false)) {
      return send(400, { error: { code: 400, message: 'query required (standard SQL)', status: 'INVALID_ARGUMENT' } });
    }
    const total = Array.isArray(this.rows) ? this.rows.length : this.rows.count;
    // jobs.query and getQueryResults honour maxResults as BigQuery does, up to this server's page size.
    const size = Math.min(this.pageSize, Number(url.searchParams.get('maxResults') ?? body?.maxResults ?? this.pageSize) || this.pageSize);
    const page = Array.isArray(this.rows)
      ? this.rows.slice(offset, offset + size)
      : Array.from({ length: Math.max(0, Math.min(size, total - offset)) }, (_, i) => (this.rows as { row: (index: number) => Record<string, unknown> }).row(offset + i));
    this.largestPage = Math.max(this.largestPage, page.length);
    const next = offset + size < total ? String(offset + size) : undefined;
    send(200, {
      kind: jobId ? 'bigquery#getQueryResultsResponse' : 'bigquery#queryResponse',
      schema: { fields: this.fields },
      jobReference: { projectId, jobId: jobId ?? 'job_billing_0001', location: 'US' },
      totalRows: String(total),
      rows: page.map((r) => encodeRow(this.fields, r)),
      ...(next ? { pageToken: next } : {}),
      totalBytesProcessed: '1048576',
      jobComplete: true,
      cacheHit: false,
    });
  }
}

function encodeRow(fields: Field[], row: Record<string, unknown>): { f: { v: unknown }[] } {
  return { f: fields.map((field) => ({ v: encodeValue(field, row[field.name]) })) };
}

function encodeValue(field: Field, value: unknown): unknown {
  if (value === null || value === undefined) return field.mode === 'REPEATED' ? [] : null;
  if (field.mode === 'REPEATED') return (value as unknown[]).map((item) => ({ v: encodeValue({ ...field, mode: 'NULLABLE' }, item) }));
  if (field.type === 'RECORD') return encodeRow(field.fields ?? [], value as Record<string, unknown>);
  if (field.type === 'TIMESTAMP') return String(BigInt(Date.parse(String(value))) * 1000n);
  return String(value);
}
