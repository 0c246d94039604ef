import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitedError, RequestRateLimiter } from './request-rate.limiter';

describe('RequestRateLimiter', () => {
  it('allows a minute of requests as a burst, then refuses with the seconds until one is allowed, refilling over time', () => {
    let now = 0;
    const limiter = new RequestRateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) limiter.take('token:a');
    assert.throws(
      () => limiter.take('token:a'),
      (e: unknown) => e instanceof RateLimitedError && e.retryAfterSeconds === 1 && e.message === 'too many requests: the limit is 60 a minute',
    );
    limiter.take('token:b');
    now += 1_000;
    limiter.take('token:a');
    assert.throws(() => limiter.take('token:a'), RateLimitedError);
  });

  it('a limit of 0 is off', () => {
    const limiter = new RequestRateLimiter(0);
    for (let i = 0; i < 1_000; i++) limiter.take('k');
  });
});
