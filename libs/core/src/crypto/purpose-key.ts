import { hkdfSync } from 'node:crypto';

/**
 * The 32-byte subkey of the master secret for one purpose: HKDF-SHA256, empty salt, info `tollgate/<purpose>`. Every
 * use of the master secret goes through a purpose of its own, so a key (or a value) of one purpose opens nothing of
 * another, and the master secret itself keys nothing.
 */
export function purposeKey(masterSecret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterSecret, Buffer.alloc(0), `tollgate/${purpose}`, 32));
}
