import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors/domain.errors';
import { AppConfig } from './config.schema';

function parseSecretKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const decoded = Buffer.from(trimmed, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(trimmed)) return decoded;
  throw new ConfigError(`${source}: must be a 32-byte key as 64 hex characters or base64 (e.g. \`openssl rand -hex 32\`)`);
}

/** The master secret in use and, during a rotation, the one it replaces (read, never written with). */
export interface SecretKeys {
  current: Buffer;
  previous: Buffer | null;
}

/**
 * The master secrets: `current` as loadSecretKey gives it, `previous` from TOLLGATE_SECRET_KEY_PREVIOUS. A previous
 * key equal to the current one is a mistake (the old key was not replaced), refused naming the variable.
 */
export function loadSecretKeys(config: AppConfig): SecretKeys {
  const current = loadSecretKey(config);
  if (!config.TOLLGATE_SECRET_KEY_PREVIOUS) return { current, previous: null };
  const previous = parseSecretKey(config.TOLLGATE_SECRET_KEY_PREVIOUS, 'TOLLGATE_SECRET_KEY_PREVIOUS');
  if (previous.equals(current)) throw new ConfigError('TOLLGATE_SECRET_KEY_PREVIOUS: is the key in use; set TOLLGATE_SECRET_KEY to the new key and this to the old one');
  return { current, previous };
}

/**
 * The 32-byte master secret every credentials cipher derives from: TOLLGATE_SECRET_KEY, or (when unset) one generated
 * once into `<data dir>/secret.key`, owner-only, so an embedded install works out of the box and across restarts.
 * Whichever lib asks first creates the file; a concurrent creator's file wins and is read back.
 */
export function loadSecretKey(config: AppConfig): Buffer {
  if (config.TOLLGATE_SECRET_KEY) return parseSecretKey(config.TOLLGATE_SECRET_KEY, 'TOLLGATE_SECRET_KEY');
  const path = join(resolve(config.TOLLGATE_DATA_DIR), 'secret.key');
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseSecretKey(readFileSync(path, 'utf8'), path);
}
