import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretKeys } from '../config/secret-key';
import { ConfigError } from '../errors/domain.errors';
import { purposeKey } from './purpose-key';

/**
 * Everything a credentials key is derived for. Each purpose gets its own HKDF-SHA256 subkey of the master secret
 * (info `tollgate/<purpose>`), so a ciphertext — or a leaked subkey — of one purpose opens nothing of another.
 * `v1Key` says how the purpose's values were keyed before the shared `v2:` format, so stored rows still decrypt:
 * the providers' former cipher used the master secret itself, billing's former cipher already used this subkey.
 */
export const CREDENTIAL_PURPOSES = {
  'provider-credentials': { v1Key: 'master', label: 'provider credentials' },
  'billing-source-credentials': { v1Key: 'subkey', label: 'billing credentials' },
} as const satisfies Record<string, { v1Key: 'master' | 'subkey'; label: string }>;

export type CredentialPurpose = keyof typeof CREDENTIAL_PURPOSES;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The two keys one master secret gives a purpose: its legacy `v1:` key and its `v2:` subkey. */
interface Keyring {
  v1: Buffer;
  v2: Buffer;
}

/**
 * AES-256-GCM for credentials at rest, one instance per purpose. Writes `v2:` + base64(iv ‖ tag ‖ ciphertext) with a
 * fresh 96-bit IV per value, keyed by the purpose's subkey; the owning row's id is associated data, so a ciphertext
 * copied onto another row does not decrypt. Reads `v2:` and the purpose's legacy `v1:` (same layout; the prefix, not
 * trial decryption, decides which key applies, because the two former ciphers keyed `v1:` differently).
 *
 * During a key rotation it also holds the previous master secret: values written under it still decrypt (the GCM
 * tag tells which key wrote a value), and `reencrypt` gives the owning lib what to store instead, under the current
 * key. Nothing is ever written under the previous key.
 */
export class CredentialCipher {
  private readonly current: Keyring;
  private readonly previous: Keyring | null;
  private readonly label: string;

  constructor(masterSecret: Buffer, readonly purpose: CredentialPurpose, previousMasterSecret: Buffer | null = null) {
    if (masterSecret.length !== 32) throw new ConfigError('the credentials key must be 32 bytes');
    if (previousMasterSecret && previousMasterSecret.length !== 32) throw new ConfigError('the previous credentials key must be 32 bytes');
    this.current = this.keyring(masterSecret);
    this.previous = previousMasterSecret ? this.keyring(previousMasterSecret) : null;
    this.label = CREDENTIAL_PURPOSES[purpose].label;
  }

  /** The cipher of a purpose under the configured keys (TOLLGATE_SECRET_KEY and, while rotating, the previous one). */
  static fromKeys(keys: SecretKeys, purpose: CredentialPurpose): CredentialCipher {
    return new CredentialCipher(keys.current, purpose, keys.previous);
  }

  /** Whether a previous key is configured, i.e. stored values may need re-encrypting under the current one. */
  get rotating(): boolean {
    return this.previous !== null;
  }

  encrypt(plain: object, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.v2, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
    return `v2:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(value: string, boundTo: string): Record<string, unknown> {
    return this.open(value, boundTo).plain;
  }

  /**
   * What to store instead of `value` so it is a `v2:` value under the current key: a fresh ciphertext of the same
   * plaintext, or null when `value` already is one. Throws as `decrypt` does when no configured key opens it.
   */
  reencrypt(value: string, boundTo: string): string | null {
    const opened = this.open(value, boundTo);
    return opened.upToDate ? null : this.encrypt(opened.plain, boundTo);
  }

  private keyring(masterSecret: Buffer): Keyring {
    const subkey = purposeKey(masterSecret, this.purpose);
    return { v1: CREDENTIAL_PURPOSES[this.purpose].v1Key === 'master' ? masterSecret : subkey, v2: subkey };
  }

  private open(value: string, boundTo: string): { plain: Record<string, unknown>; upToDate: boolean } {
    const version = value.slice(0, 3);
    if (version !== 'v1:' && version !== 'v2:') throw new ConfigError(`${this.label} ciphertext has an unknown format`);
    const raw = Buffer.from(value.slice(3), 'base64');
    const which = version === 'v1:' ? 'v1' : 'v2';
    const underCurrent = openGcm(this.current[which], raw, boundTo);
    if (underCurrent) return { plain: underCurrent, upToDate: which === 'v2' };
    const underPrevious = this.previous ? openGcm(this.previous[which], raw, boundTo) : null;
    if (underPrevious) return { plain: underPrevious, upToDate: false };
    throw new ConfigError(
      this.previous
        ? `${this.label} decrypt with neither TOLLGATE_SECRET_KEY nor TOLLGATE_SECRET_KEY_PREVIOUS (TOLLGATE_SECRET_KEY_PREVIOUS is not the key they were written with, or data tampered with)`
        : `${this.label} do not decrypt with this TOLLGATE_SECRET_KEY (key changed or data tampered with)`,
    );
  }
}

/** The plaintext of iv ‖ tag ‖ ciphertext under `key` and `boundTo`, or null when the tag does not verify. */
function openGcm(key: Buffer, raw: Buffer, boundTo: string): Record<string, unknown> | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}
