import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { roleFromClaim } from './oidc-login.service';

describe('roleFromClaim', () => {
  const map = { 'finops-admins': 'admin', 'finance-team': 'finance', readers: 'viewer' } as const;

  it('maps a list or a space/comma-separated claim to the most powerful mapped role', () => {
    assert.equal(roleFromClaim(['readers', 'finance-team'], map), 'finance');
    assert.equal(roleFromClaim('readers finops-admins', map), 'admin');
    assert.equal(roleFromClaim('readers,finance-team', map), 'finance');
  });

  it('gives no role when nothing maps, or the claim is missing or not text', () => {
    assert.equal(roleFromClaim(['staff'], map), undefined);
    assert.equal(roleFromClaim(undefined, map), undefined);
    assert.equal(roleFromClaim({ admin: true }, map), undefined);
    assert.equal(roleFromClaim([42, 'toString'], map), undefined);
  });
});
