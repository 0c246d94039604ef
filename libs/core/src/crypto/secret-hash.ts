import { createHash } from 'node:crypto';

/**
 * SHA-256 hex of a presented secret (virtual key, API token, collector token): what is stored and looked up, never
 * the secret itself. One function for every kind of bearer secret, so a key hashed when issued is found when shown.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
