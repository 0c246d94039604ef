/**
 * The values an event may carry so that every row can be stored and every sum the rollups and the usage API compute
 * stays exact. Shared by the zod schema and the fast path, which must accept the same events.
 *
 * - Time: from 2020-01-01T00:00:00Z (before any LLM API spend Tollgate prices) to one day after now (clock skew
 *   between a producer and the collector). Outside that window a row would land in a partition no whole-day query
 *   of a sane range reads (the years 1800 and 9999 were accepted and then invisible).
 * - Tokens: at most 10^9 per count. A rollup sums counts as Int64 (max 9.2·10^18), so a group would need more than
 *   9·10^9 requests each at the bound to overflow; the largest context windows today are ~10^7.
 * - Money: |value| < 10^9 in its currency (at most 9 integer digits, any fraction rounded to 12 places). Columns and
 *   rollup sums are Decimal(38, 12), which hold |x| < 10^26: a sum of requests at the bound overflows only past
 *   10^17 of them. (A 26-digit cost overflowed the usage total to a negative number; a 29-digit one could not be
 *   stored at all and was answered 503, telling the sender to retry a batch that never lands.)
 */
export const MIN_EVENT_TS_MS = Date.UTC(2020, 0, 1);
/** Allowed clock skew into the future. */
export const MAX_EVENT_FUTURE_MS = 24 * 60 * 60 * 1000;
export const MAX_EVENT_TOKENS = 1_000_000_000;
/** Integer digits a money value may have (after leading zeros). */
export const MAX_MONEY_INTEGER_DIGITS = 9;

/** The latest acceptable event time at `now`. */
export function maxEventTsMs(now = Date.now()): number {
  return now + MAX_EVENT_FUTURE_MS;
}

/** Why `ms` (an instant already known to be valid) is outside the window, or undefined if inside. */
export function eventTimeProblem(ms: number, now = Date.now()): string | undefined {
  if (ms < MIN_EVENT_TS_MS) return 'must not be before 2020-01-01T00:00:00Z';
  if (ms > maxEventTsMs(now)) return 'must not be more than one day in the future';
  return undefined;
}

/** Integer digits of a decimal string already known to match the decimal grammar (sign and leading zeros dropped). */
export function moneyIntegerDigits(v: string): number {
  let i = v.charCodeAt(0) === 45 /* - */ || v.charCodeAt(0) === 43 /* + */ ? 1 : 0;
  while (i < v.length && v.charCodeAt(i) === 48 /* 0 */) i++;
  const dot = v.indexOf('.', i);
  return (dot === -1 ? v.length : dot) - i;
}
