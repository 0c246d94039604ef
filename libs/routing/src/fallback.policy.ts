/** How an upstream attempt failed, as far as trying the next candidate is concerned. */
export type AttemptFailure =
  /** No response: connection refused or reset, DNS or TLS failure, or no response headers in time. */
  | 'unreachable'
  /** The upstream answered an error status (>= 400) before anything was sent to the client. */
  | 'error_status'
  /** A complete (non-streamed) success body broke off: the provider may have done, and billed, the work. */
  | 'broken_off'
  /** A stream failed after its response began: bytes may already have reached the client. */
  | 'stream_failed';

/** Statuses worth trying the next deployment for: timeouts, conflicts, rate limits, overload and server errors. */
const FALLBACK_STATUSES: ReadonlySet<number> = new Set([408, 409, 429, 500, 502, 503, 504, 529]);

/**
 * Which failed attempts move on to the next candidate, and how each failure is classed in telemetry
 * (`error_class`). Today one policy serves every route; circuit breakers and per-rule-set fallback chains will
 * decide here, from the same failure and status.
 */
export class FallbackPolicy {
  /**
   * Whether the request moves on to the next candidate (when there is one) after this failure. Never once the
   * client's response has begun, and never for a broken-off success body, which the provider may have billed.
   */
  triesNext(failure: AttemptFailure, status: number): boolean {
    if (failure === 'unreachable') return true;
    if (failure === 'error_status') return FALLBACK_STATUSES.has(status);
    return false;
  }

  /** Telemetry's `error_class` for an upstream error status. */
  errorClassFor(status: number): string {
    if (status === 429) return 'rate_limited';
    if (status === 408 || status === 504) return 'upstream_timeout';
    if (status >= 500) return 'upstream_5xx';
    if (status === 401 || status === 403) return 'upstream_auth';
    return 'upstream_4xx';
  }

  /** Telemetry's `error_class` for an unreachable upstream: undici's header timeout, or a failed connection. */
  unreachableClass(error: unknown): 'upstream_timeout' | 'connect_error' {
    return (error as { code?: string } | null)?.code === 'UND_ERR_HEADERS_TIMEOUT' ? 'upstream_timeout' : 'connect_error';
  }
}
