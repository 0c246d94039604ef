import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Logger } from '@tollgate/core';

/** Frontend message types that end an extended-protocol cycle (Sync) or are a cycle on their own (Query, Terminate). */
const CYCLE_END = new Set(['S', 'Q', 'X'].map((c) => c.charCodeAt(0)));
/** Extended-protocol messages that open or continue a cycle: Parse, Bind, Describe, Execute, Close, Flush. */
const CYCLE_PART = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

/**
 * pglite-socket feeds every connection's messages, one at a time, into PGlite's single session, and only keeps one
 * connection's messages together while a transaction is open. Outside a transaction, connection A's Parse/Bind/
 * Execute can interleave with connection B's, so A binds B's unnamed statement ("portal does not exist"). Its queue
 * asks `isInTransaction()` to decide whether to stick with the last connection; answering "yes" from a cycle's
 * first Parse/Bind until its Sync keeps each extended-protocol cycle whole. A disconnecting client's open cycle is
 * closed by the ROLLBACK the queue issues for it.
 */
function withWholeProtocolCycles(db: PGlite): PGlite {
  let cycleOpen = false;
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'isInTransaction') return () => cycleOpen || target.isInTransaction();
      if (property === 'execProtocolRawStream') {
        return (message: Uint8Array, options: unknown) => {
          const type = message[0];
          if (CYCLE_PART.has(type)) cycleOpen = true;
          else if (CYCLE_END.has(type)) cycleOpen = false;
          return (target.execProtocolRawStream as (m: Uint8Array, o: unknown) => unknown).call(target, message, options);
        };
      }
      if (property === 'exec') {
        return (query: string, options?: unknown) => {
          if (/^\s*ROLLBACK\b/i.test(query)) cycleOpen = false;
          return target.exec(query, options as never);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export interface EmbeddedPostgres {
  /** A postgres:// URL on loopback that TypeORM, `pg` and BullMQ connect to like any server. */
  url: string;
  stop(): Promise<void>;
}

/**
 * PGlite (Postgres in WASM) persisted under `dataDir`, served on loopback by pglite-socket.
 * All socket clients share PGlite's single session, and PGlite ignores startup options, so the session's
 * search_path is set here once: BullMQ's Postgres backend needs its `bullmq` schema first; Tollgate's own
 * tables are always schema-qualified (`tollgate.*`) and don't depend on it.
 */
export async function startEmbeddedPostgres(dataDir: string, port = 0): Promise<EmbeddedPostgres> {
  const logger = new Logger('embedded-postgres');
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  await db.exec('CREATE SCHEMA IF NOT EXISTS bullmq; CREATE SCHEMA IF NOT EXISTS tollgate; SET search_path TO bullmq, public');
  const server = new PGLiteSocketServer({ db: withWholeProtocolCycles(db), host: '127.0.0.1', port, maxConnections: 200 });
  await server.start();
  const address = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  const url = `postgres://postgres@127.0.0.1:${address.port}/postgres`;
  logger.info('embedded PostgreSQL (PGlite) ready', { dataDir, port: address.port });
  return {
    url,
    async stop() {
      await server.stop();
      // Closing PGlite flushes its files; without it the next start may replay or lose the tail.
      await db.close();
    },
  };
}
