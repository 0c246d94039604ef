import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 4096;
const NONCE_CHARS = /^[\x21-\x2b\x2d-\x7e]+$/;

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** `a=1,b=2` → Map; SCRAM attributes are single letters and values may contain `=` (base64). */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const at = part.indexOf('=');
    if (at === 1) out.set(part[0], part.slice(2));
  }
  return out;
}

/** Thrown for any SCRAM message that is malformed or does not prove the password. */
export class ScramError extends Error {}

/**
 * The server side of SCRAM-SHA-256 (RFC 5802 / 7677) as PostgreSQL speaks it, without channel binding: the stored
 * verifier (salt, StoredKey, ServerKey) is derived once from the password, so a session holds no password, and the
 * client proves it knows the password without sending it. One `exchange()` per connection.
 */
export class ScramSha256Verifier {
  private readonly salt = randomBytes(16);
  private readonly storedKey: Buffer;
  private readonly serverKey: Buffer;

  constructor(password: string) {
    const salted = pbkdf2Sync(password, this.salt, ITERATIONS, 32, 'sha256');
    this.storedKey = sha256(hmac(salted, 'Client Key'));
    this.serverKey = hmac(salted, 'Server Key');
  }

  /** A new exchange: `first(clientFirst)` answers the server-first message, `final(clientFinal)` the server-final. */
  exchange() {
    let clientFirstBare = '';
    let serverFirst = '';
    let gs2Header = '';
    let nonce = '';
    return {
      first: (clientFirst: string): string => {
        // gs2 header: `n,,` (no channel binding) or `y,,` (client could but server does not offer it); no authzid.
        const match = /^([ny]),,(.*)$/s.exec(clientFirst);
        if (!match) throw new ScramError('SCRAM: channel binding and authorization identities are not supported');
        gs2Header = `${match[1]},,`;
        clientFirstBare = match[2];
        const clientNonce = attributes(clientFirstBare).get('r');
        if (!clientNonce || !NONCE_CHARS.test(clientNonce)) throw new ScramError('SCRAM: client-first-message without a valid nonce');
        nonce = clientNonce + randomBytes(18).toString('base64');
        serverFirst = `r=${nonce},s=${this.salt.toString('base64')},i=${ITERATIONS}`;
        return serverFirst;
      },
      final: (clientFinal: string): string => {
        if (!serverFirst) throw new ScramError('SCRAM: client-final-message before client-first-message');
        const proofAt = clientFinal.lastIndexOf(',p=');
        if (proofAt < 0) throw new ScramError('SCRAM: client-final-message without a proof');
        const withoutProof = clientFinal.slice(0, proofAt);
        const attrs = attributes(withoutProof);
        if (attrs.get('c') !== Buffer.from(gs2Header).toString('base64')) throw new ScramError('SCRAM: channel binding does not match');
        if (attrs.get('r') !== nonce) throw new ScramError('SCRAM: nonce does not match');
        const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
        const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
        const signature = hmac(this.storedKey, authMessage);
        if (proof.length !== signature.length) throw new ScramError('SCRAM: password authentication failed');
        const clientKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]));
        if (!timingSafeEqual(sha256(clientKey), this.storedKey)) throw new ScramError('SCRAM: password authentication failed');
        return `v=${hmac(this.serverKey, authMessage).toString('base64')}`;
      },
    };
  }
}
