import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors/domain.errors';

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

/**
 * AES-256-GCM for credentials at rest, one instance per purpose. Writes `v2:` + base64(iv ‖ tag ‖ ciphertext) with a
 * fresh 96-bit IV per value, keyed by the purpose's subkey; the owning row's id is associated data, so a ciphertext
 * copied onto another row does not decrypt. Reads `v2:` and the purpose's legacy `v1:` (same layout; the prefix, not
 * trial decryption, decides which key applies, because the two former ciphers keyed `v1:` differently).
 */
export class CredentialCipher {
  private readonly keys: Record<'v1' | 'v2', Buffer>;
  private readonly label: string;

  constructor(masterSecret: Buffer, readonly purpose: CredentialPurpose) {
    if (masterSecret.length !== 32) throw new ConfigError('the credentials key must be 32 bytes');
    const subkey = Buffer.from(hkdfSync('sha256', masterSecret, Buffer.alloc(0), `tollgate/${purpose}`, 32));
    const { v1Key, label } = CREDENTIAL_PURPOSES[purpose];
    this.keys = { v1: v1Key === 'master' ? masterSecret : subkey, v2: subkey };
    this.label = label;
  }

  encrypt(plain: object, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.v2, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
    return `v2:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(value: string, boundTo: string): Record<string, unknown> {
    const version = value.slice(0, 3);
    if (version !== 'v1:' && version !== 'v2:') throw new ConfigError(`${this.label} ciphertext has an unknown format`);
    const raw = Buffer.from(value.slice(3), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.keys[version === 'v1:' ? 'v1' : 'v2'], raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    try {
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ConfigError(`${this.label} do not decrypt with this TOLLGATE_SECRET_KEY (key changed or data tampered with)`);
    }
  }
}
