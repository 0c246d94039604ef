import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { AddressInfo } from 'node:net';

/**
 * A local S3 double speaking the REST wire format the SDK uses for AWS Data Exports delivery: path-style
 * ListObjectsV2 (XML, paged by continuation-token with `max-keys`) and GetObject. Requests must carry a SigV4
 * Authorization header; its signature is not verified.
 */
export class FakeS3Server {
  readonly objects = new Map<string, Buffer>();
  readonly requests: { method: string; url: string }[] = [];
  private server?: Server;
  url = '';

  constructor(readonly bucket: string, private readonly pageSize = 2) {}

  /** When each object was last written (default 2025-06-01): exports restated later carry a later time. */
  readonly modified = new Map<string, Date>();

  put(key: string, body: Buffer | string, lastModified?: Date): void {
    this.objects.set(key, Buffer.isBuffer(body) ? body : Buffer.from(body));
    if (lastModified) this.modified.set(key, lastModified);
    else this.modified.delete(key);
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
    this.requests.push({ method: req.method ?? '', url: req.url ?? '' });
    if (!/^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? '')) return this.error(res, 403, 'AccessDenied', 'missing SigV4 signature');
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const [, bucket, ...keyParts] = url.pathname.split('/');
    if (bucket !== this.bucket) return this.error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = decodeURIComponent(keyParts.join('/'));
    if (req.method === 'GET' && !key && url.searchParams.get('list-type') === '2') return this.list(url, res);
    if (req.method === 'GET' && key) {
      const body = this.objects.get(key);
      if (!body) return this.error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'content-length': body.length, etag: etag(body), 'content-type': 'application/octet-stream', 'last-modified': new Date(0).toUTCString() });
      res.end(body);
      return;
    }
    this.error(res, 400, 'NotImplemented', `${req.method} ${req.url}`);
  }

  private list(url: URL, res: ServerResponse): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    const after = url.searchParams.get('continuation-token');
    const start = after ? keys.indexOf(Buffer.from(after, 'base64').toString()) + 1 : 0;
    const page = keys.slice(start, start + this.pageSize);
    const truncated = start + this.pageSize < keys.length;
    const contents = page
      .map((k) => `<Contents><Key>${escapeXml(k)}</Key><LastModified>${(this.modified.get(k) ?? new Date('2025-06-01T00:00:00.000Z')).toISOString()}</LastModified><ETag>${escapeXml(etag(this.objects.get(k)!))}</ETag><Size>${this.objects.get(k)!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
      .join('');
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${this.bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix>` +
      `<KeyCount>${page.length}</KeyCount><MaxKeys>${this.pageSize}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString('base64')}</NextContinuationToken>` : '') +
      `${contents}</ListBucketResult>`;
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(xml);
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`);
  }
}

function etag(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
