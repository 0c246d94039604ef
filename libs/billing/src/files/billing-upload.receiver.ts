import { createReadStream, createWriteStream, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { PayloadTooLargeError, ValidationError } from '@tollgate/core';

/** File names an upload may have, and the content types that go with them. */
export const UPLOAD_EXTENSION = /\.(csv|csv\.gz|parquet)$/i;
const CONTENT_TYPES: Record<'csv' | 'gzip' | 'parquet', RegExp> = {
  csv: /^(text\/csv|text\/plain|application\/csv|application\/octet-stream)$/,
  gzip: /^(application\/gzip|application\/x-gzip|application\/octet-stream)$/,
  parquet: /^(application\/vnd\.apache\.parquet|application\/x-parquet|application\/parquet|application\/octet-stream)$/,
};

export type UploadKind = keyof typeof CONTENT_TYPES;

export function uploadKind(filename: string): UploadKind {
  if (/\.gz$/i.test(filename)) return 'gzip';
  if (/\.parquet$/i.test(filename)) return 'parquet';
  return 'csv';
}

/** The content type the file name calls for, or a ValidationError naming `content-type`. */
export function checkUploadContentType(contentType: string | undefined, filename: string): void {
  const kind = uploadKind(filename);
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!CONTENT_TYPES[kind].test(type)) {
    throw ValidationError.field('content-type', `'${type || '(none)'}' does not fit ${filename}: send ${kind === 'csv' ? 'text/csv' : kind === 'gzip' ? 'application/gzip' : 'application/vnd.apache.parquet'} (or application/octet-stream)`);
  }
}

/**
 * Streams an upload body to `path`, counting bytes as they arrive: past `maxBytes` it stops reading, removes what was
 * written and throws a 413 (a declared Content-Length over the limit is refused before a byte is read). An empty body,
 * a gzip that does not decompress to its end, or a Parquet file without its magic bytes is a 400 naming the problem;
 * on any failure nothing is left on disk.
 */
export async function receiveUpload(body: Readable, path: string, options: { maxBytes: number; declaredLength?: string; kind: UploadKind }): Promise<number> {
  const declared = options.declaredLength === undefined ? undefined : Number(options.declaredLength);
  if (declared !== undefined && declared > options.maxBytes) {
    body.resume();
    throw tooLarge(options.maxBytes);
  }
  let bytes = 0;
  try {
    bytes = await writeLimited(body, path, options.maxBytes);
    if (bytes === 0) throw ValidationError.field('body', 'empty: send the export file as the request body');
    if (options.kind === 'gzip') await checkGzip(path);
    if (options.kind === 'parquet') checkParquet(path, bytes);
    return bytes;
  } catch (error) {
    rmSync(path, { force: true });
    // A client that hung up mid-body: say so rather than surface a stream error as a 500.
    if (error instanceof PayloadTooLargeError || error instanceof ValidationError) throw error;
    throw ValidationError.field('body', `the upload did not arrive whole (${(error as Error).message.slice(0, 100)})`);
  }
}

/**
 * Copies `body` to a new file, failing once it passes `maxBytes`. On failure the body is left to drain unread (never
 * destroyed: the request's socket must stay up for the 413 to reach the client).
 */
function writeLimited(body: Readable, path: string, maxBytes: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const out = createWriteStream(path, { flags: 'wx' });
    let bytes = 0;
    let done = false;
    const fail = (error: Error) => {
      if (done) return;
      done = true;
      body.removeListener('data', onData);
      body.resume();
      out.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) return fail(tooLarge(maxBytes));
      if (!out.write(chunk)) {
        body.pause();
        out.once('drain', () => body.resume());
      }
    };
    body.on('data', onData);
    body.once('end', () => {
      if (done) return;
      done = true;
      out.end(() => resolve(bytes));
    });
    body.once('error', fail);
    body.once('close', () => fail(new Error('the client closed the connection')));
    out.once('error', fail);
  });
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the upload is larger than BILLING_UPLOAD_MAX_BYTES (${maxBytes} bytes)`);
}

/** Decompresses the whole file without keeping it: a truncated or corrupt gzip fails here, before ClickHouse reads it. */
async function checkGzip(path: string): Promise<void> {
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  try {
    await pipeline(createReadStream(path), createGunzip(), discard);
  } catch (error) {
    throw ValidationError.field('body', `not a valid gzip file: ${(error as { code?: string }).code === 'Z_BUF_ERROR' ? 'truncated' : 'corrupt or not gzip'}`);
  }
}

function checkParquet(path: string, size: number): void {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    readSync(fd, tail, 0, 4, Math.max(size - 4, 0));
    if (size < 12 || head.toString('latin1') !== 'PAR1' || tail.toString('latin1') !== 'PAR1') {
      throw ValidationError.field('body', 'not a Parquet file (no PAR1 magic at its start and end)');
    }
  } finally {
    closeSync(fd);
  }
}
