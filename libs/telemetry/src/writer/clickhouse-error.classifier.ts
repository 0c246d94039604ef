import { ClickHouseError } from '@clickhouse/client';

/**
 * ClickHouse server error codes worth retrying: the server is overloaded, restarting or briefly unable to accept
 * the insert. Decided by code, never by matching message text.
 */
const TRANSIENT_CODES = new Set([
  '3', // UNEXPECTED_END_OF_FILE (connection cut mid-request)
  '159', // TIMEOUT_EXCEEDED
  '164', // READONLY (replica switching)
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '285', // TOO_FEW_LIVE_REPLICAS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '425', // SYSTEM_ERROR
  '999', // KEEPER_EXCEPTION
]);

/** Codes that mean the request was too big for the server: the batch is split in halves instead of retried whole. */
const OVERSIZED_CODES = new Set([
  '241', // MEMORY_LIMIT_EXCEEDED
  '1001', // STD_EXCEPTION (allocation failures surface this way)
]);

/** chDB (embedded) errors without a server code: only these are worth retrying. */
const TRANSIENT_CHDB_CODES = new Set(['CHDB_TIMEOUT', 'CHDB_CONNECTION']);

/**
 * The ClickHouse exception code of an error from either backend: the HTTP client's ClickHouseError carries it as
 * `code`, chDB's errors as `clickhouseCode` (possibly on a wrapped `cause`).
 */
function clickhouseCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; clickhouseCode?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.clickhouseCode !== undefined) return String(e.clickhouseCode);
    if (e instanceof ClickHouseError && e.code) return String(e.code);
  }
  return undefined;
}

/**
 * A ClickHouse error with a known-permanent code (bad data, bad SQL, unknown table) and programming errors are
 * final; connection resets, timeouts, socket errors and the transient server codes are retried with backoff.
 */
export function isTransientError(error: unknown): boolean {
  const code = clickhouseCode(error);
  if (code !== undefined) return TRANSIENT_CODES.has(code);
  const nodeCode = (error as { code?: unknown })?.code;
  if (typeof nodeCode === 'string' && nodeCode.startsWith('CHDB_')) return TRANSIENT_CHDB_CODES.has(nodeCode);
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return false;
  return error instanceof Error;
}

export function isOversizedError(error: unknown): boolean {
  const code = clickhouseCode(error);
  if (code !== undefined) return OVERSIZED_CODES.has(code);
  return (error as { statusCode?: number })?.statusCode === 413;
}
