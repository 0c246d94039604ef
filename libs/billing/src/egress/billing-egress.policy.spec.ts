import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@tollgate/core';
import { BillingEgressPolicy } from './billing-egress.policy';
import { blobEndpoint, sourceEndpoints } from './billing-source.endpoints';

const refusal = (setting: string) => (error: unknown) => {
  assert.ok(error instanceof ValidationError);
  assert.equal(error.problems[0].field, setting);
  return true;
};

describe('billing egress policy', () => {
  it("allows the clouds' public endpoints by default and nothing internal", () => {
    const policy = new BillingEgressPolicy(['default']);
    for (const url of ['https://ce.us-east-1.amazonaws.com', 'https://billing-exports.s3.eu-west-1.amazonaws.com', 'https://management.azure.com', 'https://login.microsoftonline.com/t/oauth2/v2.0/token', 'https://bigquery.googleapis.com', 'https://acct.blob.core.windows.net']) {
      assert.doesNotThrow(() => policy.check(url, 'settings.endpoint'), url);
    }
    for (const url of ['http://127.0.0.1:9003', 'http://localhost:9003', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.5', 'http://opencost.monitoring.svc:9003', 'https://amazonaws.com.evil.example', 'http://[::1]:80']) {
      assert.throws(() => policy.check(url, 'settings.endpoint'), refusal('settings.endpoint'), url);
    }
    assert.throws(() => policy.check('file:///etc/passwd', 'settings.endpoint'), /file: URLs are not allowed/);
    assert.throws(() => policy.check('https://user:pw@management.azure.com', 'settings.endpoint'), /credentials in it/);
  });

  it('admits loopback and internal hosts only when listed, and wildcards never admit IP literals', () => {
    const policy = new BillingEgressPolicy(['default', '127.0.0.1', 'opencost.monitoring.svc', '*.corp.example']);
    assert.doesNotThrow(() => policy.check('http://127.0.0.1:9003', 'settings.endpoint'));
    assert.doesNotThrow(() => policy.check('http://opencost.monitoring.svc:9003', 'settings.endpoint'));
    assert.doesNotThrow(() => policy.check('https://exports.corp.example', 'settings.endpoint'));
    assert.throws(() => policy.check('http://localhost:9003', 'settings.endpoint'), /host 'localhost' is not in BILLING_EGRESS_ALLOWED_HOSTS/);
    assert.throws(() => policy.check('https://corp.example', 'settings.endpoint'), refusal('settings.endpoint'));
  });

  it('names the setting that decides each host a source calls', () => {
    assert.deepEqual(sourceEndpoints('s3-files', { region: 'eu-west-1' }, undefined), [{ url: 'https://s3.eu-west-1.amazonaws.com', setting: 'settings.region' }]);
    assert.deepEqual(sourceEndpoints('azure-cost-query', { endpoint: 'http://x', authorityHost: 'http://y' }, undefined).map((e) => e.setting), ['settings.endpoint', 'settings.authorityHost']);
    assert.deepEqual(sourceEndpoints('gcp-bigquery', {}, { serviceAccount: { token_uri: 'http://evil.example/token' } })[1], { url: 'http://evil.example/token', setting: 'credentials.serviceAccount.token_uri' });
    assert.equal(blobEndpoint('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=k;EndpointSuffix=core.windows.net'), 'https://acct.blob.core.windows.net');
    assert.equal(blobEndpoint('AccountName=a;AccountKey=k;BlobEndpoint=http://127.0.0.1:10000/a;'), 'http://127.0.0.1:10000/a');
  });
});
