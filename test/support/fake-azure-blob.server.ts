import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { AddressInfo } from 'node:net';

/**
 * A local Azure Blob Storage double (path-style, like Azurite: `/<account>/<container>/<blob>`): List Blobs
 * (`?restype=container&comp=list`, XML EnumerationResults paged by `marker`/`maxresults`) and Get Blob. Requests
 * must carry a SharedKey Authorization header; the signature is not verified.
 */
export class FakeAzureBlobServer {
  readonly blobs = new Map<string, Buffer>();
  readonly requests: string[] = [];
  private server?: Server;
  url = '';

  constructor(readonly account: string, readonly container: string, private readonly pageSize = 2) {}

  /** When each blob was last written (default 2025-06-01): a later export run carries a later time. */
  readonly modified = new Map<string, Date>();

  put(name: string, body: Buffer | string, lastModified?: Date): void {
    this.blobs.set(name, Buffer.isBuffer(body) ? body : Buffer.from(body));
    if (lastModified) this.modified.set(name, lastModified);
    else this.modified.delete(name);
  }

  get connectionString(): string {
    return `DefaultEndpointsProtocol=http;AccountName=${this.account};AccountKey=${Buffer.from('fake-account-key-0123456789').toString('base64')};BlobEndpoint=${this.url}/${this.account};`;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', this.url);
    const [, account, container, ...rest] = url.pathname.split('/');
    const error = (status: number, code: string) => {
      res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code, 'x-ms-version': '2025-01-05' });
      res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
    };
    if (!/^SharedKey /.test(req.headers.authorization ?? '')) return error(403, 'AuthenticationFailed');
    if (account !== this.account || container !== this.container) return error(404, 'ContainerNotFound');
    const name = decodeURIComponent(rest.join('/'));
    if (req.method === 'GET' && !name && url.searchParams.get('comp') === 'list') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const names = [...this.blobs.keys()].filter((k) => k.startsWith(prefix)).sort();
      const start = url.searchParams.get('marker') ? names.indexOf(url.searchParams.get('marker')!) : 0;
      const size = Math.min(Number(url.searchParams.get('maxresults') ?? this.pageSize), this.pageSize);
      const page = names.slice(start, start + size);
      const next = names[start + size];
      const items = page
        .map((n) => `<Blob><Name>${esc(n)}</Name><Properties><Creation-Time>Sun, 01 Jun 2025 00:00:00 GMT</Creation-Time><Last-Modified>${(this.modified.get(n) ?? new Date('2025-06-01T00:00:00Z')).toUTCString()}</Last-Modified><Etag>${etag(this.blobs.get(n)!)}</Etag><Content-Length>${this.blobs.get(n)!.length}</Content-Length><Content-Type>text/csv</Content-Type><BlobType>BlockBlob</BlobType><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted></Properties><OrMetadata /></Blob>`)
        .join('');
      res.writeHead(200, { 'content-type': 'application/xml', 'x-ms-version': '2025-01-05' });
      res.end(
        `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="${this.url}/${this.account}/" ContainerName="${this.container}">` +
          `<Prefix>${esc(prefix)}</Prefix><MaxResults>${size}</MaxResults><Blobs>${items}</Blobs><NextMarker>${next ? esc(next) : ''}</NextMarker></EnumerationResults>`,
      );
      return;
    }
    if (req.method === 'GET' && name) {
      const body = this.blobs.get(name);
      if (!body) return error(404, 'BlobNotFound');
      res.writeHead(200, {
        'content-type': 'text/csv',
        'content-length': body.length,
        etag: etag(body),
        'last-modified': 'Sun, 01 Jun 2025 00:00:00 GMT',
        'x-ms-blob-type': 'BlockBlob',
        'x-ms-version': '2025-01-05',
        'accept-ranges': 'bytes',
      });
      res.end(body);
      return;
    }
    error(400, 'UnsupportedHttpVerb');
  }
}

function etag(body: Buffer): string {
  return `"0x${createHash('md5').update(body).digest('hex').slice(0, 15).toUpperCase()}"`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
