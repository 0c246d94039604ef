import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@tollgate/core';
import { AttributionFixedError, resolveAttribution, validateKeyAttribution } from './attribution.resolver';

describe('attribution with fixed tags', () => {
  const defaults = { feature: 'checkout', env: 'prod' };
  const fixed = { team: 'team-a', customer: 'acme' };

  it('books a key with fixed tags there, whatever defaults or the user field say', () => {
    assert.deepEqual(resolveAttribution({}, 'end-user-7', defaults, fixed), { feature: 'checkout', customer: 'acme', team: 'team-a', env: 'prod' });
  });

  it('lets headers replace defaults but not fixed tags; repeating a fixed value is no override', () => {
    const headers = { 'x-tollgate-feature': 'search', 'x-tollgate-env': 'staging', 'x-tollgate-team': 'team-a' };
    assert.deepEqual(resolveAttribution(headers, undefined, defaults, fixed), { feature: 'search', customer: 'acme', team: 'team-a', env: 'staging' });
  });

  it('refuses an override of a fixed tag, naming every such header and its fixed value', () => {
    const headers = { 'x-tollgate-team': 'team-b', 'x-tollgate-customer': 'victim-corp' };
    assert.throws(
      () => resolveAttribution(headers, undefined, defaults, fixed),
      (error: unknown) =>
        error instanceof AttributionFixedError &&
        error.kind === 'forbidden' &&
        error.headers.join() === 'x-tollgate-customer,x-tollgate-team' &&
        /x-tollgate-team \(fixed to 'team-a'\)/.test(error.message) &&
        /x-tollgate-customer \(fixed to 'acme'\)/.test(error.message),
    );
  });

  it('keeps a key without fixed tags as it was: headers over defaults', () => {
    assert.deepEqual(resolveAttribution({ 'x-tollgate-team': 'team-b' }, 'u1', { team: 'team-a' }, undefined), { feature: 'unattributed', customer: 'u1', team: 'team-b', env: '' });
  });
});

describe('a virtual key’s stored attribution', () => {
  it('fixes the default team when `fixed` is not given, and nothing when the key has no team', () => {
    assert.deepEqual(validateKeyAttribution({ team: 'payments', env: 'prod' }, undefined), { defaults: { team: 'payments', env: 'prod' }, fixed: { team: 'payments' } });
    assert.deepEqual(validateKeyAttribution({ env: 'prod' }, undefined), { defaults: { env: 'prod' }, fixed: {} });
  });

  it('takes an explicit `fixed`, `{}` included (a shared key whose callers name their team)', () => {
    assert.deepEqual(validateKeyAttribution({ team: 'platform' }, {}), { defaults: { team: 'platform' }, fixed: {} });
    assert.deepEqual(validateKeyAttribution({}, { customer: 'acme' }), { defaults: {}, fixed: { customer: 'acme' } });
  });

  it('refuses bad fixed tags and a default that disagrees with a fixed tag, naming the field', () => {
    assert.throws(() => validateKeyAttribution({}, { team: 'has space' }), (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'fixed.team');
    assert.throws(() => validateKeyAttribution({}, { project: 'x' }), (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'fixed.project');
    assert.throws(() => validateKeyAttribution({ team: 'a' }, { team: 'b' }), (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'defaults.team');
  });
});
