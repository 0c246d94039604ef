import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@tollgate/core';
import { ProviderCredentials } from '../provider.types';

const VERSION = 'v1';

/**
 * AES-256-GCM for credentials at rest: `v1:` + base64(iv ‖ tag ‖ ciphertext), a fresh 96-bit IV per value. The
 * provider id is bound as associated data, so a ciphertext copied onto another provider row does not decrypt.
 */
export class CredentialCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new ConfigError('the credentials key must be 32 bytes');
  }

  encrypt(credentials: ProviderCredentials, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(value: string, boundTo: string): ProviderCredentials {
    if (!value.startsWith(`${VERSION}:`)) throw new ConfigError('credentials ciphertext has an unknown format');
    const raw = Buffer.from(value.slice(VERSION.length + 1), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as ProviderCredentials;
    } catch {
      throw new ConfigError('credentials do not decrypt with this TOLLGATE_SECRET_KEY (key changed or data tampered with)');
    }
  }
}

/**
 * The proxy ↔ api catalogue channel token derived from the credentials key: processes that share
 * TOLLGATE_SECRET_KEY (the api and its proxies, as in docker-compose) authenticate without a separately issued token.
 * Whoever holds the key can decrypt the credentials anyway, so this grants nothing the key does not.
 */
export function proxyChannelToken(key: Buffer): string {
  return `tgp_${createHmac('sha256', key).update('tollgate proxy catalogue channel v1').digest('base64url')}`;
}

export function isProxyChannelToken(key: Buffer, presented: string): boolean {
  const expected = Buffer.from(proxyChannelToken(key));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
