/** Splits a base URL into the pool key (origin) and the path prefix, cached because targets are reused per request. */
const cache = new Map<string, { origin: string; prefix: string }>();

export function splitBaseUrl(baseUrl: string): { origin: string; prefix: string } {
  let hit = cache.get(baseUrl);
  if (!hit) {
    const url = new URL(baseUrl);
    hit = { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
    if (cache.size > 1000) cache.clear();
    cache.set(baseUrl, hit);
  }
  return hit;
}

/** Parses JSON from an upstream body; returns undefined instead of throwing on garbage (upstreams do send HTML). */
export function parseJson(body: Buffer | string): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function openAiError(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** OpenAI error `type` for an HTTP status, as OpenAI itself uses them. */
export function errorTypeForStatus(status: number): string {
  if (status === 400 || status === 404 || status === 409 || status === 413 || status === 422) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}
