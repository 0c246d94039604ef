import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.loader';

describe('billing configuration', () => {
  it('defaults to a 1 GiB upload limit, the default local root and the clouds-only egress allowlist', () => {
    const config = loadConfig({});
    assert.equal(config.BILLING_UPLOAD_MAX_BYTES, 1024 * 1024 * 1024);
    assert.equal(config.BILLING_LOCAL_ROOTS, undefined);
    assert.deepEqual(config.BILLING_EGRESS_ALLOWED_HOSTS, ['default']);
  });

  it('parses comma-separated roots and hosts, and names the variable when one is wrong', () => {
    const config = loadConfig({ BILLING_LOCAL_ROOTS: '/srv/exports, /mnt/billing', BILLING_EGRESS_ALLOWED_HOSTS: 'default, OpenCost.monitoring.svc,*.corp.example' });
    assert.deepEqual(config.BILLING_LOCAL_ROOTS, ['/srv/exports', '/mnt/billing']);
    assert.deepEqual(config.BILLING_EGRESS_ALLOWED_HOSTS, ['default', 'opencost.monitoring.svc', '*.corp.example']);
    assert.throws(() => loadConfig({ BILLING_LOCAL_ROOTS: 'exports' }), /BILLING_LOCAL_ROOTS: must be comma-separated absolute paths/);
    assert.throws(() => loadConfig({ BILLING_EGRESS_ALLOWED_HOSTS: 'http://x/' }), /BILLING_EGRESS_ALLOWED_HOSTS/);
    assert.throws(() => loadConfig({ BILLING_UPLOAD_MAX_BYTES: 'lots' }), /BILLING_UPLOAD_MAX_BYTES/);
  });
});
