import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppConfig, ConfigError, loadSecretKey } from '@tollgate/core';

const VERSION = 'v1';

/**
 * AES-256-GCM for billing source credentials at rest, with a key derived (HKDF-SHA256) from the master secret for
 * this purpose only. Format `v1:` + base64(iv ‖ tag ‖ ciphertext); the source id is associated data, so a
 * ciphertext copied to another source does not decrypt.
 */
export class BillingCredentialsCipher {
  private readonly key: Buffer;

  constructor(masterSecret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', masterSecret, Buffer.alloc(0), 'tollgate/billing-source-credentials', 32));
  }

  static fromConfig(config: AppConfig): BillingCredentialsCipher {
    return new BillingCredentialsCipher(loadSecretKey(config));
  }

  encrypt(credentials: Record<string, unknown>, sourceId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(sourceId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(value: string, sourceId: string): Record<string, unknown> {
    if (!value.startsWith(`${VERSION}:`)) throw new ConfigError('billing credentials ciphertext has an unknown format');
    const raw = Buffer.from(value.slice(VERSION.length + 1), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(sourceId, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ConfigError('billing credentials do not decrypt with this TOLLGATE_SECRET_KEY (key changed or data tampered with)');
    }
  }
}
