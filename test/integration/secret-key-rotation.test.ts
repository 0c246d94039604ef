import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiStarter } from '../../apps/api/src';
import { proxyChannelToken } from '@tollgate/auth';
import { CredentialCipher } from '@tollgate/core';
import { launch, RunningProcess } from '@tollgate/runtime';
import { StoreTarget, storeTargets } from '../support/test-env';
import { adminAuth } from '../support/api-auth';

/**
 * TOLLGATE_SECRET_KEY rotation as the README describes it: credentials stored under the old key; a start with the new
 * key and TOLLGATE_SECRET_KEY_PREVIOUS re-encrypts them (providers' and billing sources' alike) under the new key;
 * a start with the new key alone then reads them. A wrong previous key stops the start, naming the variable.
 */
for (const factory of storeTargets) {
  describe(`secret key rotation on ${factory.name} stores`, () => {
    const oldKey = randomBytes(32).toString('hex');
    const newKey = randomBytes(32).toString('hex');
    let target: StoreTarget;
    let providerId: string;
    let sourceId: string;

    before(async () => {
      target = await factory.create();
      const running = await launch({ ...target.env, TOLLGATE_SECRET_KEY: oldKey }, [apiStarter]);
      try {
        const post = async (path: string, body: unknown) => {
          const res = await fetch(`${running.urls.api}${path}`, { method: 'POST', headers: adminAuth({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
          assert.ok(res.status < 300, `${path}: ${res.status} ${await res.clone().text()}`);
          return (await res.json()) as { id: string };
        };
        providerId = (await post('/v1/providers', { name: 'openai-main', kind: 'openai', base_url: 'https://api.openai.com/v1', credentials: { apiKey: 'sk-rotated' } })).id;
        await post(`/v1/providers/${providerId}/deployments`, { model: 'gpt-4o-mini' });
        sourceId = (
          await post('/v1/billing/sources', {
            name: 'cur-s3',
            kind: 's3-files',
            settings: { bucket: 'billing-exports', prefix: 'cur/', region: 'us-east-1', format: 'aws-cur' },
            credentials: { accessKeyId: 'AKIAROTATE', secretAccessKey: 'rotate-me' },
          })
        ).id;
      } finally {
        await running.stop();
      }
    });
    after(async () => {
      await target?.cleanup();
    });

    /** The stored ciphertexts, read with a throwaway api process's data source. */
    async function stored(running: RunningProcess) {
      const [provider] = await running.stores.dataSource.query(`SELECT credentials_ciphertext FROM tollgate.providers WHERE id = $1`, [providerId]);
      const [source] = await running.stores.dataSource.query(`SELECT credentials_ciphertext FROM tollgate.billing_sources WHERE id = $1`, [sourceId]);
      return { provider: provider.credentials_ciphertext as string, source: source.credentials_ciphertext as string };
    }

    /** The provider credential as the proxy channel hands it out (decrypted by the api with its configured keys). */
    async function catalogueApiKey(running: RunningProcess, key: string): Promise<unknown> {
      const res = await fetch(`${running.urls.api}/v1/internal/proxy-catalogue`, { headers: { authorization: `Bearer ${proxyChannelToken(Buffer.from(key, 'hex'))}` } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { targets: { providerId: string; credentials: { apiKey?: string } }[] };
      return body.targets.find((t) => t.providerId === providerId)?.credentials.apiKey;
    }

    it('refuses to start with a wrong previous key, naming TOLLGATE_SECRET_KEY_PREVIOUS, and changes nothing', async () => {
      const wrong = randomBytes(32).toString('hex');
      await assert.rejects(launch({ ...target.env, TOLLGATE_SECRET_KEY: newKey, TOLLGATE_SECRET_KEY_PREVIOUS: wrong }, [apiStarter]), /TOLLGATE_SECRET_KEY_PREVIOUS/);
      const running = await launch({ ...target.env, TOLLGATE_SECRET_KEY: oldKey }, [apiStarter]);
      try {
        const rows = await stored(running);
        assert.deepEqual(new CredentialCipher(Buffer.from(oldKey, 'hex'), 'provider-credentials').decrypt(rows.provider, providerId), { apiKey: 'sk-rotated' });
        assert.equal(await catalogueApiKey(running, oldKey), 'sk-rotated');
      } finally {
        await running.stop();
      }
    });

    it('with the new key and the previous one: re-encrypts everything under the new key; then the new key alone reads it all', async () => {
      const rotating = await launch({ ...target.env, TOLLGATE_SECRET_KEY: newKey, TOLLGATE_SECRET_KEY_PREVIOUS: oldKey }, [apiStarter]);
      let rows: { provider: string; source: string };
      try {
        rows = await stored(rotating);
        assert.equal(await catalogueApiKey(rotating, newKey), 'sk-rotated');
      } finally {
        await rotating.stop();
      }
      const newOnly = (purpose: 'provider-credentials' | 'billing-source-credentials') => new CredentialCipher(Buffer.from(newKey, 'hex'), purpose);
      const oldOnly = (purpose: 'provider-credentials' | 'billing-source-credentials') => new CredentialCipher(Buffer.from(oldKey, 'hex'), purpose);
      assert.deepEqual(newOnly('provider-credentials').decrypt(rows.provider, providerId), { apiKey: 'sk-rotated' });
      assert.deepEqual(newOnly('billing-source-credentials').decrypt(rows.source, sourceId), { accessKeyId: 'AKIAROTATE', secretAccessKey: 'rotate-me' });
      assert.throws(() => oldOnly('provider-credentials').decrypt(rows.provider, providerId), /do not decrypt/);
      assert.throws(() => oldOnly('billing-source-credentials').decrypt(rows.source, sourceId), /do not decrypt/);

      const after = await launch({ ...target.env, TOLLGATE_SECRET_KEY: newKey }, [apiStarter]);
      try {
        assert.equal(await catalogueApiKey(after, newKey), 'sk-rotated');
        assert.deepEqual(await stored(after), rows, 'a start without a previous key rewrites nothing');
        const refused = await fetch(`${after.urls.api}/v1/internal/proxy-catalogue`, { headers: { authorization: `Bearer ${proxyChannelToken(Buffer.from(oldKey, 'hex'))}` } });
        assert.equal(refused.status, 401, 'the old key no longer opens the channel');
      } finally {
        await after.stop();
      }
    });
  });
}
