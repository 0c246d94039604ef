import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, loadSecretKey } from '@tollgate/core';
import { BillingCredentialsCipher } from './billing-credentials.cipher';

describe('billing credentials cipher', () => {
  const key = 'ab'.repeat(32);
  const cipher = new BillingCredentialsCipher(Buffer.from(key, 'hex'));
  const secret = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' };

  it('round-trips, never shows the plaintext, and uses a fresh IV each time', () => {
    const a = cipher.encrypt(secret, 'source-1');
    const b = cipher.encrypt(secret, 'source-1');
    assert.match(a, /^v1:/);
    assert.notEqual(a, b);
    assert.ok(!a.includes('wJalr') && !Buffer.from(a.slice(3), 'base64').toString('latin1').includes('wJalr'));
    assert.deepEqual(cipher.decrypt(a, 'source-1'), secret);
  });

  it('refuses a ciphertext moved to another source, a different key, or tampered bytes', () => {
    const value = cipher.encrypt(secret, 'source-1');
    assert.throws(() => cipher.decrypt(value, 'source-2'), ConfigError);
    assert.throws(() => new BillingCredentialsCipher(Buffer.from('cd'.repeat(32), 'hex')).decrypt(value, 'source-1'), ConfigError);
    const raw = Buffer.from(value.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    assert.throws(() => cipher.decrypt(`v1:${raw.toString('base64')}`, 'source-1'), ConfigError);
  });

  it('takes TOLLGATE_SECRET_KEY, or generates one owner-only key file in the data dir and keeps it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-key-'));
    assert.equal(loadSecretKey(loadConfig({ TOLLGATE_DATA_DIR: dir, TOLLGATE_SECRET_KEY: key })).toString('hex'), key);
    const generated = loadSecretKey(loadConfig({ TOLLGATE_DATA_DIR: dir }));
    assert.equal(generated.length, 32);
    assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, 'secret.key'), 'utf8').trim(), generated.toString('hex'));
    assert.deepEqual(loadSecretKey(loadConfig({ TOLLGATE_DATA_DIR: dir })), generated);
    assert.throws(() => loadSecretKey(loadConfig({ TOLLGATE_DATA_DIR: dir, TOLLGATE_SECRET_KEY: 'x'.repeat(40) })), /TOLLGATE_SECRET_KEY/);
  });
});
