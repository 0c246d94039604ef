import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Logger } from '@tollgate/core';

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
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 200 });
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
