import { ServerResponse } from 'node:http';
import { DomainError, ValidationError } from '@tollgate/core';
import { CatalogueNotLoadedError } from '@tollgate/providers';
import { RoutingError } from '@tollgate/routing';

/** Thrown inside the pipeline to answer with a given status in OpenAI's error format. */
export class ProxyHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly errorClass = type,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const KIND_STATUS: Record<DomainError['kind'], [number, string]> = {
  validation: [400, 'invalid_request_error'],
  unauthorized: [401, 'authentication_error'],
  forbidden: [403, 'permission_error'],
  not_found: [404, 'invalid_request_error'],
  conflict: [409, 'invalid_request_error'],
  too_large: [413, 'invalid_request_error'],
  unavailable: [503, 'api_error'],
  config: [500, 'api_error'],
};

/** The proxy's one mapping from errors to OpenAI-format HTTP answers. */
export function toProxyHttpError(error: unknown): ProxyHttpError {
  if (error instanceof ProxyHttpError) return error;
  // Before the first catalogue load no key or model can be judged: a retryable 503, not a 401/404 that lies.
  if (error instanceof CatalogueNotLoadedError) {
    const retryAfter = String(Math.max(1, Math.ceil(error.retryInMs / 1000)));
    return new ProxyHttpError(503, error.message, 'api_error', 'catalogue_unavailable', null, 'catalogue_unavailable', { 'retry-after': retryAfter });
  }
  // Routing's refusals (no such model, no deployment for this endpoint) name the `model` parameter and keep the
  // codes clients match on.
  if (error instanceof RoutingError) {
    const [status, type] = KIND_STATUS[error.kind];
    return new ProxyHttpError(status, error.message, type, error.code, 'model');
  }
  if (error instanceof DomainError) {
    const [status, type] = KIND_STATUS[error.kind];
    const param = error instanceof ValidationError && error.problems.length ? error.problems[0].field : null;
    return new ProxyHttpError(status, error.message, type, error.kind === 'validation' ? 'invalid_value' : null, param, error.kind);
  }
  return new ProxyHttpError(500, 'internal proxy error', 'api_error', null, null, 'internal');
}

export function writeError(res: ServerResponse, error: ProxyHttpError, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message: error.message, type: error.type, param: error.param, code: error.code } });
  res.writeHead(error.status, { ...error.headers, ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
