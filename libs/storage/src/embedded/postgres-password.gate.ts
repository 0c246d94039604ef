import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';
import { Logger } from '@tollgate/core';
import { ScramError, ScramSha256Verifier } from './scram-sha256.verifier';

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;
/** Startup and SASL messages are small; anything larger before authentication is not a client of ours. */
const MAX_PREAUTH_MESSAGE = 16_384;
/** A connection that has not authenticated by then is dropped, so idle sockets cannot pile up before the password. */
const AUTH_TIMEOUT_MS = 10_000;
/** The one role the embedded server has; the password protects it. */
export const EMBEDDED_POSTGRES_USER = 'postgres';

/** An authentication request (`R`) of the given code with its payload. */
function authentication(code: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.write('R', 0);
  out.writeInt32BE(8 + payload.length, 1);
  out.writeInt32BE(code, 5);
  payload.copy(out, 9);
  return out;
}

function fatal(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

/** Startup parameters: `key\0value\0…\0`. */
function startupParameters(body: Buffer): Map<string, string> {
  const parts = body.toString('utf8').split('\0');
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) out.set(parts[i], parts[i + 1]);
  return out;
}

type Phase = 'startup' | 'sasl-initial' | 'sasl-response';

/**
 * The loopback front of the embedded PostgreSQL: speaks the protocol's startup and SCRAM-SHA-256 authentication
 * itself (PGlite accepts any user and password), and only then connects the client to the PGlite socket server,
 * which listens on a Unix socket in an owner-only directory, replaying the client's startup message to it. After
 * that it only pipes bytes. SSL and GSS encryption requests get "no" (loopback only), as PostgreSQL without TLS does.
 */
export class PostgresPasswordGate {
  private readonly logger = new Logger('embedded-postgres');
  private readonly verifier: ScramSha256Verifier;
  private readonly sockets = new Set<Socket>();
  private server?: Server;

  constructor(
    password: string,
    /** The PGlite socket server's Unix socket. */
    private readonly backendPath: string,
  ) {
    this.verifier = new ScramSha256Verifier(password);
  }

  async listen(port: number): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = 200;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    client.setTimeout(AUTH_TIMEOUT_MS, () => client.destroy());
    const scram = this.verifier.exchange();
    let phase: Phase = 'startup';
    let buffered = Buffer.alloc(0);
    let startup: Buffer | undefined;
    const refuse = (code: string, message: string) => {
      client.removeListener('data', onData);
      client.end(fatal(code, message));
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      try {
        for (;;) {
          const typed = phase !== 'startup';
          const header = typed ? 5 : 4;
          if (buffered.length < header) return;
          const length = buffered.readInt32BE(typed ? 1 : 0) + (typed ? 1 : 0);
          if (length < header || length > MAX_PREAUTH_MESSAGE) return refuse('08P01', 'invalid message length before authentication');
          if (buffered.length < length) return;
          const message = buffered.subarray(0, length);
          buffered = buffered.subarray(length);
          if (phase === 'startup') {
            const code = message.length >= 8 ? message.readInt32BE(4) : -1;
            if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
              client.write('N');
              continue;
            }
            if (code === CANCEL_REQUEST) return void client.destroy();
            if (code !== PROTOCOL_3) return refuse('0A000', 'unsupported frontend protocol');
            const user = startupParameters(message.subarray(8)).get('user');
            if (user !== EMBEDDED_POSTGRES_USER) return refuse('28P01', `password authentication failed for user "${user ?? ''}"`);
            startup = Buffer.from(message);
            client.write(authentication(10, Buffer.from('SCRAM-SHA-256\0\0', 'latin1')));
            phase = 'sasl-initial';
          } else if (message[0] !== 0x70) {
            return refuse('08P01', 'expected a SASL response');
          } else if (phase === 'sasl-initial') {
            const body = message.subarray(5);
            const end = body.indexOf(0);
            if (end < 0 || body.subarray(0, end).toString('latin1') !== 'SCRAM-SHA-256') return refuse('28000', 'only SCRAM-SHA-256 authentication is offered');
            const dataLength = body.readInt32BE(end + 1);
            const data = body.subarray(end + 5, end + 5 + Math.max(dataLength, 0)).toString('utf8');
            client.write(authentication(11, Buffer.from(scram.first(data), 'utf8')));
            phase = 'sasl-response';
          } else {
            const serverFinal = scram.final(message.subarray(5).toString('utf8'));
            client.write(authentication(12, Buffer.from(serverFinal, 'utf8')));
            // Paused before the listener goes, so nothing the client sends next is dropped before the pipe takes over.
            client.pause();
            client.removeListener('data', onData);
            this.connectBackend(client, Buffer.concat([startup!, buffered]));
            return;
          }
        }
      } catch (error) {
        if (error instanceof ScramError) return refuse('28P01', `password authentication failed for user "${EMBEDDED_POSTGRES_USER}"`);
        this.logger.warn('embedded PostgreSQL refused a malformed authentication', { error: (error as Error).message });
        return refuse('08P01', 'malformed authentication message');
      }
    };
    client.on('data', onData);
  }

  /** Hands an authenticated client to PGlite: its startup message (answered with AuthenticationOk), then a plain pipe. */
  private connectBackend(client: Socket, pending: Buffer): void {
    client.setTimeout(0);
    const backend = connect(this.backendPath);
    backend.on('error', () => client.destroy());
    client.on('close', () => backend.destroy());
    backend.on('close', () => client.destroy());
    backend.once('connect', () => {
      backend.write(pending);
      client.pipe(backend);
      backend.pipe(client);
    });
  }
}
