import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { ConfigError, Logger } from '@tollgate/core';
import { EMBEDDED_POSTGRES_USER, PostgresPasswordGate } from './postgres-password.gate';

/** Frontend message types that end an extended-protocol cycle (Sync) or are a cycle on their own (Query, Terminate). */
const CYCLE_END = new Set(['S', 'Q', 'X'].map((c) => c.charCodeAt(0)));
/** Extended-protocol messages that open or continue a cycle: Parse, Bind, Describe, Execute, Close, Flush. */
const CYCLE_PART = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
/** Every typed frontend message of protocol 3.0 (the cycle ones, copy, function call, password/SASL). */
const FRONTEND_TYPES = new Set([...CYCLE_END, ...CYCLE_PART, ...['d', 'c', 'f', 'F', 'p'].map((c) => c.charCodeAt(0))]);
const PROTOCOL_3 = 196_608;

type RawStreamOptions = { onRawData?: (data: Uint8Array) => void; syncToFs?: boolean };

/** A startup packet: no type byte, its length then the protocol version 3.0. */
function isStartup(message: Uint8Array): boolean {
  return message.length >= 8 && new DataView(message.buffer, message.byteOffset, message.byteLength).getInt32(4) === PROTOCOL_3;
}

/** ErrorResponse (severity, SQLSTATE, message), optionally followed by ReadyForQuery so the client can carry on. */
function errorResponse(severity: 'ERROR' | 'FATAL', code: string, message: string, ready?: 'I' | 'T' | 'E'): Uint8Array {
  const fields = Buffer.from(`S${severity}\0V${severity}\0C${code}\0M${message.replace(/\0/g, '')}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + fields.length, 1);
  const parts = [head, fields];
  if (ready) parts.push(Buffer.from([0x5a, 0, 0, 0, 5, ready.charCodeAt(0)]));
  return Buffer.concat(parts);
}

/**
 * pglite-socket feeds every connection's messages, one at a time, into PGlite's single session, and only keeps one
 * connection's messages together while a transaction is open. Outside a transaction, connection A's Parse/Bind/
 * Execute can interleave with connection B's, so A binds B's unnamed statement ("portal does not exist"). Its queue
 * asks `isInTransaction()` to decide whether to stick with the last connection; answering "yes" from a cycle's
 * first Parse/Bind until its Sync keeps each extended-protocol cycle whole. A disconnecting client's open cycle is
 * closed by the ROLLBACK the queue issues for it.
 *
 * Two ways one client could otherwise wedge the session for every client in the process are closed here too:
 * - a throw from PGlite leaves pglite-socket's queue marked busy forever, so a throw becomes an ErrorResponse;
 * - a message type PostgreSQL does not know sends PGlite into a busy loop, so it is refused before it gets there.
 * A live client that opens a cycle or a transaction and then goes quiet still holds the session: that is the price
 * of one session, and why the embedded mode is for one machine's own processes only.
 */
export function withWholeProtocolCycles(db: PGlite): PGlite {
  let cycleOpen = false;
  const raw = (message: Uint8Array, opts?: RawStreamOptions) =>
    (db.execProtocolRawStream as (m: Uint8Array, o?: RawStreamOptions) => Promise<void>).call(db, message, opts);
  const transactionStatus = (): 'I' | 'T' => (db.isInTransaction() ? 'T' : 'I');
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'isInTransaction') {
        return () => cycleOpen || target.isInTransaction();
      }
      if (property === 'execProtocolRawStream') {
        return async (message: Uint8Array, opts?: RawStreamOptions) => {
          const type = message[0];
          if (!FRONTEND_TYPES.has(type) && !isStartup(message)) {
            opts?.onRawData?.(errorResponse('FATAL', '08P01', `invalid frontend message type ${type}`));
            return;
          }
          if (CYCLE_PART.has(type)) cycleOpen = true;
          else if (CYCLE_END.has(type)) cycleOpen = false;
          try {
            await raw(message, opts);
          } catch (error) {
            cycleOpen = false;
            opts?.onRawData?.(errorResponse('ERROR', 'XX000', `embedded PostgreSQL failed on this message: ${(error as Error).message}`, transactionStatus()));
          }
        };
      }
      if (property === 'exec') {
        return (query: string, execOptions?: unknown) => {
          if (/^\s*ROLLBACK\b/i.test(query)) cycleOpen = false;
          return target.exec(query, execOptions as never);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export interface EmbeddedPostgres {
  /** A postgres:// URL on loopback, password included, that TypeORM, `pg` and BullMQ connect to like any server. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The embedded server's password: generated once (32 random bytes, hex) into `path`, owner-only, and read back on
 * every start, as the secret key and the collector token are. A concurrent first start's file wins.
 */
function loadPassword(path: string): string {
  try {
    writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const password = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{32,}$/.test(password)) throw new ConfigError(`${path}: not a password this server wrote (hex); delete it to have a new one generated`);
  return password;
}

/**
 * PGlite (Postgres in WASM) persisted under `dataDir`, served on loopback with a password: a PostgresPasswordGate on
 * the port authenticates each client (SCRAM-SHA-256, the password from `<dataDir>.password`) and only then connects
 * it to pglite-socket, which listens on a Unix socket in an owner-only temp directory, never on a port.
 * All socket clients share PGlite's single session, and PGlite ignores startup options, so the session's
 * search_path is set here once: BullMQ's Postgres backend needs its `bullmq` schema first; Tollgate's own
 * tables are always schema-qualified (`tollgate.*`) and don't depend on it.
 */
export async function startEmbeddedPostgres(dataDir: string, port = 0): Promise<EmbeddedPostgres> {
  const logger = new Logger('embedded-postgres');
  mkdirSync(dataDir, { recursive: true });
  const password = loadPassword(`${dataDir}.password`);
  const db = await PGlite.create(dataDir);
  await db.exec('CREATE SCHEMA IF NOT EXISTS bullmq; CREATE SCHEMA IF NOT EXISTS tollgate; SET search_path TO bullmq, public');
  // mkdtemp makes the directory 0700: only this user reaches the socket that skips the password.
  const socketDir = mkdtempSync(join(tmpdir(), 'tollgate-pg-'));
  const server = new PGLiteSocketServer({ db: withWholeProtocolCycles(db), path: join(socketDir, 'pglite.sock'), maxConnections: 200 });
  await server.start();
  const gate = new PostgresPasswordGate(password, join(socketDir, 'pglite.sock'));
  let listening: number;
  try {
    listening = await gate.listen(port);
  } catch (error) {
    await server.stop();
    await db.close();
    rmSync(socketDir, { recursive: true, force: true });
    throw error;
  }
  const url = `postgres://${EMBEDDED_POSTGRES_USER}:${password}@127.0.0.1:${listening}/postgres`;
  logger.info('embedded PostgreSQL (PGlite) ready', { dataDir, port: listening });
  return {
    url,
    async stop() {
      await gate.close();
      await server.stop();
      // Closing PGlite flushes its files; without it the next start may replay or lose the tail.
      await db.close();
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
