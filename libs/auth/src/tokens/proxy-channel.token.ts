import { createHmac, timingSafeEqual } from 'node:crypto';
import { purposeKey } from '@tollgate/core';

/**
 * The proxy ↔ api catalogue channel token derived from the credentials master secret: processes that share
 * TOLLGATE_SECRET_KEY (the api and its proxies, as in docker-compose) authenticate without a separately issued token.
 * Whoever holds the key can decrypt the credentials anyway, so this grants nothing the key does not.
 *
 * Keyed by the master secret's own `proxy-channel` subkey (HKDF, as every use of the master secret is), so the token
 * reveals nothing about the key the credentials ciphers use. The derivation is fixed: a proxy and an api of one
 * version must agree on it. Proxies send `tgp2_` tokens; the api still accepts the `tgp_` ones proxies of earlier
 * versions derive (an HMAC of the master secret itself), so upgrading the api first keeps older proxies connected.
 */
export function proxyChannelToken(key: Buffer): string {
  return `tgp2_${createHmac('sha256', purposeKey(key, 'proxy-channel')).update('tollgate proxy catalogue channel v2').digest('base64url')}`;
}

/** The token proxies before per-purpose keys derived; accepted, never sent. */
function legacyProxyChannelToken(key: Buffer): string {
  return `tgp_${createHmac('sha256', key).update('tollgate proxy catalogue channel v1').digest('base64url')}`;
}

export function isProxyChannelToken(key: Buffer, presented: string): boolean {
  const given = Buffer.from(presented);
  return [proxyChannelToken(key), legacyProxyChannelToken(key)].some((token) => {
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
