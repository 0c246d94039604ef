import { isAscii } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import type { Request } from 'express';
import { UnsupportedMediaTypeException } from '@nestjs/common';
import { FieldProblem, PayloadTooLargeError, ValidationError } from '@tollgate/core';
import { parseNdjson } from '@tollgate/telemetry';

/** Largest decoded (after gunzip) body the collector reads; the same as the API's JSON body limit. */
export const MAX_TELEMETRY_BODY_BYTES = 10 * 1024 * 1024;

async function readLimited(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new PayloadTooLargeError(`telemetry body exceeds ${limit} bytes (decoded); send fewer events per request`);
    }
    chunks.push(chunk as Buffer);
  }
  return decodeUtf8(Buffer.concat(chunks));
}

/**
 * A body as text. Node's UTF-8 decoder is slow on megabyte inputs (~250 MB/s here, 6 ms for a 2,000-event batch);
 * an all-ASCII body — the usual telemetry batch — decodes the same as Latin-1, which is a plain copy (~10× faster
 * including the check).
 */
function decodeUtf8(body: Buffer): string {
  return isAscii(body) ? body.toString('latin1') : body.toString('utf8');
}

/**
 * The events of a collector request: a JSON array (`application/json`, already parsed — and gunzipped — by the
 * API's body parser with the same limit) or NDJSON (`application/x-ndjson`, read here, gunzipped when
 * `content-encoding: gzip`). NDJSON lines that are not JSON come back as per-row errors, not a failed request.
 */
export async function readTelemetryBody(req: Request): Promise<{ items: unknown[]; errors: FieldProblem[] }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') {
    if (!Array.isArray(req.body)) throw ValidationError.field('(body)', 'must be a JSON array of telemetry events');
    return { items: req.body, errors: [] };
  }
  if (type === 'application/x-ndjson' || type === 'application/jsonl') {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let stream: Readable = req;
    if (encoding === 'gzip') stream = req.pipe(createGunzip());
    else if (encoding !== 'identity') throw new UnsupportedMediaTypeException(`content-encoding '${encoding}' is not supported; use gzip or none`);
    let text: string;
    try {
      text = await readLimited(stream, MAX_TELEMETRY_BODY_BYTES);
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('Z_')) throw ValidationError.field('(body)', `not valid gzip: ${(error as Error).message}`);
      throw error;
    }
    return parseNdjson(text);
  }
  throw new UnsupportedMediaTypeException(`content-type must be application/json (an array) or application/x-ndjson; got '${type || 'none'}'`);
}
