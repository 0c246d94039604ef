import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { isProxyChannelToken, proxyChannelToken } from './proxy-channel.token';

describe('proxy channel token', () => {
  const key = Buffer.from('ab'.repeat(32), 'hex');

  it('is an HMAC under the master secret’s own proxy-channel subkey (HKDF-SHA256, info tollgate/proxy-channel)', () => {
    const subkey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'tollgate/proxy-channel', 32));
    assert.equal(proxyChannelToken(key), `tgp2_${createHmac('sha256', subkey).update('tollgate proxy catalogue channel v2').digest('base64url')}`);
    assert.ok(isProxyChannelToken(key, proxyChannelToken(key)));
  });

  it('accepts the token earlier proxies derive from the same key, and nothing derived from another key', () => {
    const legacy = `tgp_${createHmac('sha256', key).update('tollgate proxy catalogue channel v1').digest('base64url')}`;
    assert.ok(isProxyChannelToken(key, legacy));
    const other = Buffer.from('cd'.repeat(32), 'hex');
    assert.equal(isProxyChannelToken(other, proxyChannelToken(key)), false);
    assert.equal(isProxyChannelToken(other, legacy), false);
    assert.equal(isProxyChannelToken(key, proxyChannelToken(key).slice(0, -1)), false);
  });
});
