import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScramError, ScramSha256Verifier } from './scram-sha256.verifier';

/** `pg`'s own client side of SCRAM-SHA-256, the one Tollgate's connections use. */
interface SaslSession {
  response: string;
  serverSignature?: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sasl = require('pg/lib/crypto/sasl') as {
  startSession(mechanisms: string[], stream?: unknown): SaslSession;
  continueSession(session: SaslSession, password: string, serverData: string, stream?: unknown): Promise<void>;
  finalizeSession(session: SaslSession, serverData: string): void;
};

describe('SCRAM-SHA-256 verifier (server side) against the pg client', () => {
  const verifier = new ScramSha256Verifier('correct horse battery staple');

  it('accepts the right password, and its server signature satisfies the client', async () => {
    const session = sasl.startSession(['SCRAM-SHA-256']);
    const exchange = verifier.exchange();
    const serverFirst = exchange.first(session.response);
    await sasl.continueSession(session, 'correct horse battery staple', serverFirst);
    const serverFinal = exchange.final(session.response);
    assert.doesNotThrow(() => sasl.finalizeSession(session, serverFinal));
  });

  it('refuses a wrong password, a replayed proof and a tampered nonce', async () => {
    const session = sasl.startSession(['SCRAM-SHA-256']);
    const exchange = verifier.exchange();
    await sasl.continueSession(session, 'wrong', exchange.first(session.response));
    assert.throws(() => exchange.final(session.response), ScramError);

    const good = sasl.startSession(['SCRAM-SHA-256']);
    const first = verifier.exchange();
    await sasl.continueSession(good, 'correct horse battery staple', first.first(good.response));
    first.final(good.response);
    // The same client-final against a new exchange (a new server nonce) proves nothing.
    const replay = verifier.exchange();
    replay.first(`n,,n=*,r=${'x'.repeat(24)}`);
    assert.throws(() => replay.final(good.response), ScramError);
    const tampered = verifier.exchange();
    const serverFirst = tampered.first(`n,,n=*,r=${'y'.repeat(24)}`);
    assert.throws(() => tampered.final(`c=biws,r=${serverFirst.slice(2, serverFirst.indexOf(','))}extra,p=AAAA`), /nonce does not match/);
  });

  it('refuses channel binding it does not offer and malformed messages', () => {
    assert.throws(() => verifier.exchange().first('p=tls-server-end-point,,n=*,r=abc'), ScramError);
    assert.throws(() => verifier.exchange().first('n,,n=*'), /nonce/);
    assert.throws(() => verifier.exchange().final('c=biws,r=abc,p=AAAA'), /before client-first/);
  });
});
