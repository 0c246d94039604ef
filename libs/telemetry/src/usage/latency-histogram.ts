/**
 * The latency histogram behind the usage API's p50/p95 (migrations 0008 and 0013 store it in the rollups).
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
 * Counts merge by addition, so every rollup and the raw rows give the same histogram and the same answer. The rollups
 * hold it as one `SimpleAggregateFunction(sumMap, Map(UInt8, UInt64))` column (migration 0013): a rollup row has few
 * non-zero buckets, and one small map per row costs the views about half the insert CPU of 0008's 151 columns.
 */
export const LATENCY_BUCKET_COUNT = 151;
const FINE_FROM = 8;
const FINE_PER_DOUBLING = 7;
const COARSE_FROM = 2 ** 22;
const MAX_LATENCY = 2 ** 32 - 1;

/** The bucket of a latency, as ClickHouse computes it (same formula as the views of migrations 0008 and 0013). */
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
 * SQL for the histogram of a group of llm_requests rows: the same Map(bucket, count) the rollups hold. Counted into an
 * array per group (countResample, faster over raw rows than a map per row) and keyed once per group; buckets with no
 * latency hold 0, which changes no percentile.
 */
export function latencyHistogramSql(latencyColumn: string): string {
  return `mapFromArrays(CAST(range(${LATENCY_BUCKET_COUNT}), 'Array(UInt8)'), countResample(0, ${LATENCY_BUCKET_COUNT}, 1)(${latencyBucketSql(latencyColumn)}))`;
}

/**
 * SQL for the buckets holding [p50, p95] (nearest rank: the first bucket whose cumulative count reaches ⌈q·n⌉), from
 * `histogram`, a Map(UInt8, UInt64) of bucket → count (sumMap keeps its keys sorted). An empty histogram gives bucket 0.
 * The caller maps buckets to LATENCY_BUCKETS[i].estimate: indexing a constant array per row costs more in ClickHouse.
 */
export function latencyPercentileBucketsSql(histogram: string): string {
  const cumulative = `arrayCumSum(mapValues(${histogram}))`;
  return `[${LATENCY_PERCENTILES.map((p) => `mapKeys(${histogram})[arrayFirstIndex(c -> c >= intDiv(${cumulative}[-1] * ${p} + 99, 100), ${cumulative})]`).join(', ')}]`;
}
