import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.loader';
import { loadSecretKey, loadSecretKeys } from './secret-key';

describe('credentials master secret', () => {
  const key = 'ab'.repeat(32);

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

  it('gives the previous key of a rotation, refusing a malformed one or one equal to the key in use, naming the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-key-'));
    const previous = 'cd'.repeat(32);
    assert.deepEqual(loadSecretKeys(loadConfig({ TOLLGATE_DATA_DIR: dir, TOLLGATE_SECRET_KEY: key })), { current: Buffer.from(key, 'hex'), previous: null });
    const keys = loadSecretKeys(loadConfig({ TOLLGATE_DATA_DIR: dir, TOLLGATE_SECRET_KEY: key, TOLLGATE_SECRET_KEY_PREVIOUS: previous }));
    assert.equal(keys.previous?.toString('hex'), previous);
    assert.throws(() => loadConfig({ TOLLGATE_SECRET_KEY: key, TOLLGATE_SECRET_KEY_PREVIOUS: 'short' }), /TOLLGATE_SECRET_KEY_PREVIOUS: must be a 32-byte key/);
    assert.throws(() => loadSecretKeys(loadConfig({ TOLLGATE_DATA_DIR: dir, TOLLGATE_SECRET_KEY: key, TOLLGATE_SECRET_KEY_PREVIOUS: key })), /TOLLGATE_SECRET_KEY_PREVIOUS: is the key in use/);
  });
});
