import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { hashSecret } from '@tollgate/core';
import { AttributionFixedError, resolveAttribution } from '@tollgate/gateway';
import { VirtualKeyRecord } from '@tollgate/providers';
import { ProxyContext } from './proxy.context';
import { ProxyHttpError } from './proxy-errors';
import { RequestScope } from './proxy.operation';

const now = () => performance.now();

/**
 * Reads the whole request body, refusing more than maxBytes with a 413. The connection is not destroyed: the rest of
 * an oversized body is read and dropped (Node's server does so once the 413 is sent, within its request timeout), so
 * the client reads the 413 instead of a reset connection, and a keep-alive connection stays usable.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new ProxyHttpError(413, `request body exceeds ${maxBytes} bytes`, 'invalid_request_error', 'request_too_large');
  if (Number(req.headers['content-length']) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop keeping it; the stream keeps flowing with no listener, which drops the rest.
        req.off('data', onData);
        req.off('end', onEnd);
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

export function parseBody(raw: Buffer): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ProxyHttpError(400, `request body is not valid JSON: ${(error as Error).message}`, 'invalid_request_error', 'invalid_json');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ProxyHttpError(400, 'request body must be a JSON object', 'invalid_request_error', 'invalid_json');
  return body as Record<string, unknown>;
}

/**
 * The caller's virtual key from `Authorization: Bearer tg-…` (OpenAI SDKs) or `x-api-key` (Anthropic SDKs). A key
 * already seen is answered synchronously from the catalogue's memo (no promise, no hashing on the hot path); only
 * an unknown key waits for a catalogue reload.
 */
export function authenticate(ctx: ProxyContext, req: IncomingMessage): VirtualKeyRecord | Promise<VirtualKeyRecord> {
  let presented: string | undefined;
  const auth = req.headers.authorization;
  if (auth && auth.startsWith('Bearer ')) presented = auth.slice(7).trim();
  else if (typeof req.headers['x-api-key'] === 'string') presented = req.headers['x-api-key'].trim();
  if (!presented) throw new ProxyHttpError(401, 'missing virtual key: send `Authorization: Bearer tg-…`', 'authentication_error', 'missing_api_key');
  if (!presented.startsWith('tg-')) throw new ProxyHttpError(401, 'not a Tollgate virtual key (keys start with `tg-`)', 'authentication_error', 'invalid_api_key');
  return ctx.catalogue.keyFor(presented) ?? authenticateAfterReload(ctx, presented);
}

async function authenticateAfterReload(ctx: ProxyContext, presented: string): Promise<VirtualKeyRecord> {
  const key = await ctx.catalogue.keyAfterReload(hashSecret(presented));
  if (key) return key;
  // No snapshot yet (the api is down or not up): a 503 to retry, not a 401 that calls a good key unknown.
  ctx.catalogue.assertLoaded();
  throw new ProxyHttpError(401, 'unknown or revoked virtual key', 'authentication_error', 'invalid_api_key');
}

export function beginScope(ctx: ProxyContext, req: IncomingMessage, key: VirtualKeyRecord, body: Record<string, unknown>, startedAt: number): RequestScope {
  const model = body.model;
  if (typeof model !== 'string' || model === '') throw new ProxyHttpError(400, 'model: required string', 'invalid_request_error', 'invalid_value', 'model');
  if (key.allowedModels && !key.allowedModels.includes(model)) {
    throw new ProxyHttpError(403, `model '${model}' is not allowed for this virtual key`, 'permission_error', 'model_not_allowed', 'model');
  }
  const metadataUser = (body.metadata as { user_id?: unknown } | undefined)?.user_id;
  const attribution = keyAttribution(req, key, body.user ?? metadataUser);
  return { requestId: randomUUID(), startedAt, startedWall: Date.now() - (now() - startedAt), key, attribution, requestedModel: model };
}

/** The request's attribution under its key's defaults and fixed tags; an override of a fixed tag is a 403 naming the header. */
function keyAttribution(req: IncomingMessage, key: VirtualKeyRecord, user: unknown) {
  try {
    return resolveAttribution(req.headers, user, key.defaults, key.fixed);
  } catch (error) {
    if (error instanceof AttributionFixedError) throw new ProxyHttpError(403, error.message, 'permission_error', 'attribution_fixed', error.headers[0] ?? null);
    throw error;
  }
}
