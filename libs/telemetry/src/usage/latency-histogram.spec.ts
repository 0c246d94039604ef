import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LATENCY_BUCKET_COUNT, LATENCY_BUCKETS, latencyBucket } from './latency-histogram';

const SEVENTY_MINUTES = 2 ** 22;

describe('latency histogram buckets', () => {
  it('cover every UInt32 latency once, in order, and agree with the bucket formula at both ends', () => {
    assert.equal(LATENCY_BUCKETS.length, LATENCY_BUCKET_COUNT);
    assert.equal(LATENCY_BUCKETS[0].low, 0);
    assert.equal(LATENCY_BUCKETS.at(-1)!.high, 2 ** 32 - 1);
    LATENCY_BUCKETS.forEach((b, i) => {
      assert.ok(b.low <= b.high, `bucket ${i}`);
      if (i > 0) assert.equal(b.low, LATENCY_BUCKETS[i - 1].high + 1, `bucket ${i} starts where ${i - 1} ends`);
      assert.equal(latencyBucket(b.low), i);
      assert.equal(latencyBucket(b.high), i);
    });
  });

  it('report a value within 5% of any latency below 70 minutes, exactly below 12 ms, within a third beyond', () => {
    for (const [i, b] of LATENCY_BUCKETS.entries()) {
      const worst = Math.max(Math.abs(b.estimate - b.low) / Math.max(b.low, 1), Math.abs(b.high - b.estimate) / Math.max(b.high, 1));
      // The estimate is rounded to 3 decimals, which may add up to 0.0005 ms.
      assert.ok(worst <= b.maxRelativeError + 0.0005 / Math.max(b.low, 1), `bucket ${i}: ${worst} > ${b.maxRelativeError}`);
      if (b.high < 12) assert.ok(b.low === b.high && b.estimate === b.low, `bucket ${i} [${b.low}, ${b.high}] is one value`);
      if (b.high < SEVENTY_MINUTES) assert.ok(b.maxRelativeError < 0.0495, `bucket ${i}: ${b.maxRelativeError}`);
      else assert.ok(b.maxRelativeError < 1 / 3, `bucket ${i}: ${b.maxRelativeError}`);
    }
    assert.deepEqual(LATENCY_BUCKETS.slice(0, 12).map((b) => b.estimate), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
