import { Algorithm, hash, verify } from '@node-rs/argon2';

/**
 * argon2id with the OWASP-recommended minimum (19 MiB, 2 passes, 1 lane). A hash carries its own parameters, so
 * raising them later leaves older hashes verifiable.
 */
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export class PasswordHasher {
  /** A hash of a password no one has, so an unknown user costs a login the same time as a wrong password. */
  private decoy?: Promise<string>;

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  async verify(stored: string | null | undefined, password: string): Promise<boolean> {
    if (!stored) {
      this.decoy ??= hash('tollgate decoy password', OPTIONS);
      await verify(await this.decoy, password).catch(() => false);
      return false;
    }
    return verify(stored, password).catch(() => false);
  }
}
