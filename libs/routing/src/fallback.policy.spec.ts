import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FallbackPolicy } from './fallback.policy';

describe('FallbackPolicy', () => {
  const policy = new FallbackPolicy();

  it('moves on to the next candidate after timeouts, conflicts, rate limits, overload and server errors', () => {
    const moving = [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 501, 502, 503, 504, 505, 529].filter((status) => policy.triesNext('error_status', status));
    assert.deepEqual(moving, [408, 409, 429, 500, 502, 503, 504, 529]);
  });

  it('moves on when the upstream could not be reached (connection error or header timeout)', () => {
    assert.equal(policy.triesNext('unreachable', 0), true);
  });

  it('never moves a broken-off success body or a begun stream on, whatever the status', () => {
    for (const status of [200, 429, 503]) {
      assert.equal(policy.triesNext('broken_off', status), false);
      assert.equal(policy.triesNext('stream_failed', status), false);
    }
  });

  it('classes upstream error statuses for telemetry', () => {
    const classes = Object.fromEntries([429, 408, 504, 500, 502, 503, 529, 401, 403, 400, 404, 409, 422].map((status) => [status, policy.errorClassFor(status)]));
    assert.deepEqual(classes, {
      429: 'rate_limited',
      408: 'upstream_timeout',
      504: 'upstream_timeout',
      500: 'upstream_5xx',
      502: 'upstream_5xx',
      503: 'upstream_5xx',
      529: 'upstream_5xx',
      401: 'upstream_auth',
      403: 'upstream_auth',
      400: 'upstream_4xx',
      404: 'upstream_4xx',
      409: 'upstream_4xx',
      422: 'upstream_4xx',
    });
  });

  it('classes an unreachable upstream: undici\'s header timeout, else a connect error', () => {
    const headersTimeout = Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(policy.unreachableClass(headersTimeout), 'upstream_timeout');
    assert.equal(policy.unreachableClass(refused), 'connect_error');
    assert.equal(policy.unreachableClass(new Error('socket hang up')), 'connect_error');
  });
});
