import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { ConfigError } from '../errors/domain.errors';
import { CredentialCipher } from './credential.cipher';
import { hashSecret } from './secret-hash';

const master = Buffer.from('ab'.repeat(32), 'hex');
const providerId = '11111111-1111-4111-8111-111111111111';
const sourceId = '22222222-2222-4222-8222-222222222222';

// Written by the two ciphers this one replaced (providers' CredentialCipher, billing's BillingCredentialsCipher),
// with the master secret above: rows stored before the change must keep decrypting.
const LEGACY_PROVIDER_V1 = 'v1:YNqkjaPQsU42Cl+gT7DHHc+Hl6vRWOaFf/YA85S1RShkzAp6S0T1myR4poLmO7bF4qQ/ZmP73PzqJr8=';
const LEGACY_BILLING_V1 =
  'v1:XWAJMdeELgLaHSA4WKOrr5tKZRYR7Pr0NQtVkYWGr69Mn2UkF1xnWlrQyHRrxnNQcRKIml3copbsNfOPL5D7LJdaoouwOtYtQ1yuU9+tT6znXYAKEIM1wkei';

describe('credential cipher', () => {
  const providers = new CredentialCipher(master, 'provider-credentials');
  const billing = new CredentialCipher(master, 'billing-source-credentials');
  const secret = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' };

  it('round-trips, never shows the plaintext, and uses a fresh IV each time', () => {
    const a = billing.encrypt(secret, sourceId);
    const b = billing.encrypt(secret, sourceId);
    assert.match(a, /^v2:/);
    assert.notEqual(a, b);
    assert.ok(!a.includes('wJalr') && !Buffer.from(a.slice(3), 'base64').toString('latin1').includes('wJalr'));
    assert.deepEqual(billing.decrypt(a, sourceId), secret);
  });

  it('writes v2 with the purpose subkey (HKDF-SHA256, info tollgate/<purpose>) and the row id as associated data', () => {
    const raw = Buffer.from(providers.encrypt(secret, providerId).slice(3), 'base64');
    const subkey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'tollgate/provider-credentials', 32));
    const decipher = createDecipheriv('aes-256-gcm', subkey, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(providerId, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    assert.deepEqual(JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')), secret);
  });

  it('refuses a ciphertext moved to another row, another purpose, another key, or with tampered bytes', () => {
    const value = billing.encrypt(secret, sourceId);
    assert.throws(() => billing.decrypt(value, providerId), ConfigError);
    assert.throws(() => providers.decrypt(value, sourceId), ConfigError);
    assert.throws(() => new CredentialCipher(Buffer.from('cd'.repeat(32), 'hex'), 'billing-source-credentials').decrypt(value, sourceId), ConfigError);
    const raw = Buffer.from(value.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    assert.throws(() => billing.decrypt(`v2:${raw.toString('base64')}`, sourceId), ConfigError);
    assert.throws(() => billing.decrypt(`v2:${raw.subarray(0, 20).toString('base64')}`, sourceId), ConfigError);
    assert.throws(() => billing.decrypt(`v9:${raw.toString('base64')}`, sourceId), /unknown format/);
  });

  it("still decrypts what the providers' and billing's former ciphers wrote (v1), each under its own key", () => {
    assert.deepEqual(providers.decrypt(LEGACY_PROVIDER_V1, providerId), { apiKey: 'sk-legacy-provider' });
    assert.deepEqual(billing.decrypt(LEGACY_BILLING_V1, sourceId), { accessKeyId: 'AKIALEGACY', secretAccessKey: 'legacy-secret' });
    // A v1 value is read with its own purpose's legacy key only, and stays bound to its row.
    assert.throws(() => billing.decrypt(LEGACY_PROVIDER_V1, providerId), ConfigError);
    assert.throws(() => providers.decrypt(LEGACY_BILLING_V1, sourceId), ConfigError);
    assert.throws(() => providers.decrypt(LEGACY_PROVIDER_V1, sourceId), ConfigError);
  });

  it('during a rotation reads values under the previous key, re-encrypts them (and v1 values) under the current one, writes only with the current', () => {
    const next = Buffer.from('cd'.repeat(32), 'hex');
    const old = new CredentialCipher(master, 'billing-source-credentials').encrypt(secret, sourceId);
    const rotating = new CredentialCipher(next, 'billing-source-credentials', master);
    assert.equal(rotating.rotating, true);
    assert.deepEqual(rotating.decrypt(old, sourceId), secret);
    const moved = rotating.reencrypt(old, sourceId)!;
    assert.match(moved, /^v2:/);
    const afterRotation = new CredentialCipher(next, 'billing-source-credentials');
    assert.equal(afterRotation.rotating, false);
    assert.deepEqual(afterRotation.decrypt(moved, sourceId), secret, 'the new key alone opens the re-encrypted value');
    assert.throws(() => afterRotation.decrypt(old, sourceId), /do not decrypt with this TOLLGATE_SECRET_KEY/);
    assert.equal(rotating.reencrypt(moved, sourceId), null, 'a value already under the current key stays');
    assert.deepEqual(afterRotation.decrypt(rotating.encrypt(secret, sourceId), sourceId), secret, 'new values are written under the current key');
    // A legacy v1 value of the previous key moves to v2 under the current one.
    const fromV1 = new CredentialCipher(next, 'provider-credentials', master).reencrypt(LEGACY_PROVIDER_V1, providerId)!;
    assert.deepEqual(new CredentialCipher(next, 'provider-credentials').decrypt(fromV1, providerId), { apiKey: 'sk-legacy-provider' });
    // Still bound to its row and purpose under either key.
    assert.throws(() => rotating.decrypt(old, providerId), ConfigError);
  });

  it('names both variables when neither the key nor the previous key opens a value', () => {
    const stranger = new CredentialCipher(Buffer.from('ef'.repeat(32), 'hex'), 'billing-source-credentials').encrypt(secret, sourceId);
    const rotating = new CredentialCipher(Buffer.from('cd'.repeat(32), 'hex'), 'billing-source-credentials', master);
    assert.throws(() => rotating.reencrypt(stranger, sourceId), (e: unknown) => e instanceof ConfigError && /TOLLGATE_SECRET_KEY nor TOLLGATE_SECRET_KEY_PREVIOUS/.test(e.message));
  });

  it('wants a 32-byte master secret', () => {
    assert.throws(() => new CredentialCipher(Buffer.alloc(16), 'provider-credentials'), /32 bytes/);
  });
});

describe('secret hash', () => {
  it('is the SHA-256 hex of the UTF-8 secret', () => {
    assert.equal(hashSecret('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(hashSecret('é'), createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
  });
});
