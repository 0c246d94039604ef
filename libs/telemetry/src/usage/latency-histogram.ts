/**
 * The latency histogram behind the usage API's p50/p95 (migration 0008 stores it in the rollups).
 *
 * Buckets of latency_ms (an integer):
 *   0 … 7 ms                 one bucket per value (exact);
 *   8 ms … 2^22 − 1 (≈70 min) 7 log-spaced buckets per doubling, bucket = floor(7·log2(v)) − 13;
 *   2^22 ms … 2^32 − 1        one bucket per doubling, bucket = floor(log2(v)) + 119.
 * A percentile is read as the nearest-rank bucket (the first whose cumulative count reaches ⌈q·n⌉) and reported as
 * that bucket's value with the smallest worst-case relative error: for the integers a … b it holds, 2ab / (a + b).
 * So an answer is within (b − a) / (a + b) of the exact nearest-rank percentile: exact below 12 ms, under 5% up to
 * 70 minutes, under a third beyond (no proxied request is expected to run that long).
 *
 * Counts merge by addition, so every rollup and the raw rows give the same histogram and the same answer. They are
 * separate `SimpleAggregateFunction(sum, UInt64)` columns rather than one array: ClickHouse sums columns vectorised
 * (and skips all-zero ones stored sparse), several times faster than merging arrays or quantile states.
 */
export const LATENCY_BUCKET_COUNT = 151;
const FINE_FROM = 8;
const FINE_PER_DOUBLING = 7;
const COARSE_FROM = 2 ** 22;
const MAX_LATENCY = 2 ** 32 - 1;

/** Rollup column of bucket i: latency_b000 … latency_b150. */
export const latencyBucketColumn = (i: number) => `latency_b${String(i).padStart(3, '0')}`;
export const LATENCY_BUCKET_COLUMNS = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => latencyBucketColumn(i));

/** The bucket of a latency, as ClickHouse computes it (same formula as migration 0008's views). */
export function latencyBucketSql(column: string): string {
  return `toUInt8(if(${column} < ${FINE_FROM}, ${column}, if(${column} < ${COARSE_FROM}, floor(${FINE_PER_DOUBLING} * log2(${column})) - 13, floor(log2(${column})) + 119)))`;
}

/** The same bucket in TypeScript (tests and docs; answers are always computed by ClickHouse). */
export function latencyBucket(ms: number): number {
  if (ms < FINE_FROM) return ms;
  if (ms < COARSE_FROM) return Math.floor(FINE_PER_DOUBLING * Math.log2(ms)) - 13;
  return Math.floor(Math.log2(ms)) + 119;
}

export interface LatencyBucket {
  /** Smallest and largest integer latency (ms) in the bucket. */
  low: number;
  high: number;
  /** What a percentile falling in this bucket is reported as, rounded to 3 decimals like every latency answer. */
  estimate: number;
  /** Largest relative error of `estimate` against any latency in the bucket. */
  maxRelativeError: number;
}

function bucketLows(): number[] {
  const lows: number[] = [];
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) {
    if (i < FINE_FROM) lows.push(i);
    else if (i < FINE_FROM + FINE_PER_DOUBLING * 19) {
      // Start from the real-valued boundary and settle on the first integer the formula puts in bucket i.
      let v = Math.ceil(2 ** ((i + 13) / FINE_PER_DOUBLING));
      while (latencyBucket(v - 1) === i) v--;
      while (latencyBucket(v) < i) v++;
      lows.push(v);
    } else lows.push(2 ** (i - 119));
  }
  return lows;
}

export const LATENCY_BUCKETS: readonly LatencyBucket[] = bucketLows().map((low, i, lows) => {
  const high = i + 1 < lows.length ? lows[i + 1] - 1 : MAX_LATENCY;
  const exact = low === high ? low : (2 * low * high) / (low + high);
  return { low, high, estimate: Math.round(exact * 1000) / 1000, maxRelativeError: low === 0 ? 0 : (high - low) / (high + low) };
});

/** Percentiles the usage API reports, in percent (integers keep ⌈q·n⌉ exact in SQL). */
export const LATENCY_PERCENTILES = [50, 95] as const;

/**
 * SQL for the buckets holding [p50, p95] (nearest rank: the first bucket whose cumulative count reaches ⌈q·n⌉), from
 * `cumulative`, a column holding arrayCumSum of the LATENCY_BUCKET_COUNT counts. An empty histogram gives bucket 0.
 * The caller maps buckets to LATENCY_BUCKETS[i].estimate: indexing a constant array per row costs more in ClickHouse.
 */
export function latencyPercentileBucketsSql(cumulative: string): string {
  return `[${LATENCY_PERCENTILES.map((p) => `toUInt8(arrayFirstIndex(c -> c >= intDiv(${cumulative}[-1] * ${p} + 99, 100), ${cumulative}) - 1)`).join(', ')}]`;
}
