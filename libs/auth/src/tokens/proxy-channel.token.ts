import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The proxy ↔ api catalogue channel token derived from the credentials master secret: processes that share
 * TOLLGATE_SECRET_KEY (the api and its proxies, as in docker-compose) authenticate without a separately issued token.
 * Whoever holds the key can decrypt the credentials anyway, so this grants nothing the key does not. The derivation
 * is fixed: a proxy and an api of different versions must still agree on it.
 */
export function proxyChannelToken(key: Buffer): string {
  return `tgp_${createHmac('sha256', key).update('tollgate proxy catalogue channel v1').digest('base64url')}`;
}

export function isProxyChannelToken(key: Buffer, presented: string): boolean {
  const expected = Buffer.from(proxyChannelToken(key));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
