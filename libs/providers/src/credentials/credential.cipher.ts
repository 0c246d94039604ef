import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AppConfig, ConfigError } from '@tollgate/core';
import { ProviderCredentials } from '../provider.types';

const VERSION = 'v1';

/** Parses a 32-byte key given as 64 hex characters or as base64 (44 characters). */
export function parseSecretKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const decoded = Buffer.from(trimmed, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(trimmed)) return decoded;
  throw new ConfigError(`${source}: must be a 32-byte key as 64 hex characters or base64 (e.g. \`openssl rand -hex 32\`)`);
}

/**
 * The key that encrypts provider credentials: TOLLGATE_SECRET_KEY, or (when unset) one generated once into the data
 * dir with owner-only permissions, so an embedded install works out of the box and keeps working across restarts.
 */
export function loadSecretKey(config: AppConfig): Buffer {
  if (config.TOLLGATE_SECRET_KEY) return parseSecretKey(config.TOLLGATE_SECRET_KEY, 'TOLLGATE_SECRET_KEY');
  const path = join(resolve(config.TOLLGATE_DATA_DIR), 'secret.key');
  if (existsSync(path)) return parseSecretKey(readFileSync(path, 'utf8'), path);
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return key;
}

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
