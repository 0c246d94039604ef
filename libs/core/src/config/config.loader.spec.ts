import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, storeModes } from './config.loader';
import { ConfigError } from '../errors/domain.errors';

describe('loadConfig', () => {
  it('defaults to the embedded stores when no store URL is set', () => {
    const config = loadConfig({});
    assert.equal(config.TOLLGATE_DATA_DIR, './.tollgate');
    assert.deepEqual(storeModes(config), { postgres: 'embedded', clickhouse: 'embedded', queue: 'postgres' });
  });

  it('uses the servers whose URLs are set, BullMQ on Redis only when REDIS_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/t', CLICKHOUSE_URL: 'http://ch:8123' });
    assert.deepEqual(storeModes(config), { postgres: 'server', clickhouse: 'server', queue: 'postgres' });
    assert.equal(storeModes(loadConfig({ REDIS_URL: 'redis://r:6379' })).queue, 'redis');
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', API_PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /DATABASE_URL: must be a URL starting with postgres:\/\//);
    assert.match(error.message, /API_PORT/);
    assert.match(error.message, /LOG_LEVEL/);
  });

  it('takes a secret key only as 32 bytes in hex or base64, so a typo fails at boot rather than at first decrypt', () => {
    assert.equal(loadConfig({ TOLLGATE_SECRET_KEY: 'ab'.repeat(32) }).TOLLGATE_SECRET_KEY, 'ab'.repeat(32));
    assert.ok(loadConfig({ TOLLGATE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }).TOLLGATE_SECRET_KEY);
    assert.throws(() => loadConfig({ TOLLGATE_SECRET_KEY: 'k'.repeat(64) }), /TOLLGATE_SECRET_KEY: must be a 32-byte key/);
  });

  it('treats empty variables as unset', () => {
    assert.equal(loadConfig({ REDIS_URL: '' }).REDIS_URL, undefined);
  });

  it('reads the access-control variables: origins, trust proxy, OIDC role map; OIDC all or nothing', () => {
    const config = loadConfig({
      TOLLGATE_CORS_ORIGINS: 'https://console.example.com, http://localhost:5173',
      TOLLGATE_TRUST_PROXY: '1',
      TOLLGATE_OIDC_ROLE_MAP: 'finops-admins=admin, finance=finance',
    });
    assert.deepEqual(config.TOLLGATE_CORS_ORIGINS, ['https://console.example.com', 'http://localhost:5173']);
    assert.equal(config.TOLLGATE_TRUST_PROXY, 1);
    assert.deepEqual(config.TOLLGATE_OIDC_ROLE_MAP, { 'finops-admins': 'admin', finance: 'finance' });
    assert.deepEqual([loadConfig({}).TOLLGATE_TRUST_PROXY, loadConfig({}).TOLLGATE_CORS_ORIGINS], [false, []]);
    assert.throws(() => loadConfig({ TOLLGATE_CORS_ORIGINS: 'https://x.example.com/path' }), /TOLLGATE_CORS_ORIGINS: each origin/);
    assert.throws(() => loadConfig({ TOLLGATE_OIDC_ROLE_MAP: 'a=root' }), /TOLLGATE_OIDC_ROLE_MAP/);
    assert.throws(() => loadConfig({ TOLLGATE_ADMIN_PASSWORD: 'short' }), /TOLLGATE_ADMIN_PASSWORD: must be at least 12/);
    assert.throws(() => loadConfig({ TOLLGATE_OIDC_ISSUER: 'https://idp.example.com' }), /TOLLGATE_OIDC_CLIENT_ID: required when TOLLGATE_OIDC_ISSUER is set/);
  });
});
