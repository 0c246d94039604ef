import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { connect, Socket } from 'node:net';
import { Client, Pool } from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { EmbeddedPostgres, QueueBackend, startEmbeddedPostgres, withWholeProtocolCycles } from '@tollgate/storage';
import { tempDir } from '../support/test-env';

describe('embedded PostgreSQL (PGlite behind pglite-socket) under concurrent clients', () => {
  const dir = tempDir('tollgate-pglite-');
  let pg: EmbeddedPostgres;
  before(async () => {
    pg = await startEmbeddedPostgres(dir);
  });
  after(async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps each connection’s extended-protocol cycles whole while several queue workers start at once', async () => {
    const queues = new QueueBackend({ kind: 'postgres', url: pg.url, prefix: 'pglite', notifyReachesListeners: false });
    const workerErrors: Error[] = [];
    try {
      const names = ['a', 'b', 'c', 'd'];
      for (const name of names) queues.worker(name, async (job) => (job.data as { v: number }).v * 2).on('error', (e) => workerErrors.push(e));
      const events = queues.events('a');
      await events.waitUntilReady();
      const pool = new Pool({ connectionString: pg.url, max: 8 });
      try {
        const jobs = await Promise.all(names.flatMap((name) => Array.from({ length: 10 }, (_, v) => queues.queue(name).add('double', { v }))));
        // Parameterised queries use Parse/Bind/Execute/Sync: interleaving two connections' cycles would mix them up.
        const answers = await Promise.all(
          Array.from({ length: 200 }, (_, i) => pool.query<{ v: number; t: string }>('SELECT $1::int * 2 AS v, $2::text AS t', [i, `row-${i}`])),
        );
        answers.forEach((answer, i) => assert.deepEqual(answer.rows, [{ v: i * 2, t: `row-${i}` }]));
        const results = await Promise.all(jobs.filter((j) => j.queueName === 'a').map((j) => j.waitUntilFinished(events, 30_000)));
        assert.deepEqual(results, Array.from({ length: 10 }, (_, v) => v * 2));
      } finally {
        await pool.end();
      }
    } finally {
      await queues.close();
    }
    assert.deepEqual(workerErrors.map((e) => e.message), []);
  });

  it('rolls back the open transaction of a client that disconnects, and serves the others', async () => {
    const a = new Pool({ connectionString: pg.url, max: 1 });
    const client = await a.connect();
    await client.query('CREATE TABLE IF NOT EXISTS tollgate.pglite_probe (x int)');
    await client.query('BEGIN');
    await client.query('INSERT INTO tollgate.pglite_probe VALUES (1)');
    const ended = once(client as unknown as NodeJS.EventEmitter, 'end');
    client.release(true);
    await ended;
    await a.end();
    const b = new Pool({ connectionString: pg.url, max: 2 });
    try {
      const rows = await b.query('SELECT count(*)::int AS n FROM tollgate.pglite_probe');
      assert.deepEqual(rows.rows, [{ n: 0 }]);
    } finally {
      await b.end();
    }
  });

  it('runs a new job at once while a delayed job is due hours later (NOTIFY never reaches the idle worker)', async () => {
    const queues = new QueueBackend({ kind: 'postgres', url: pg.url, prefix: 'pglite-delayed', notifyReachesListeners: false });
    try {
      const queue = queues.queue('delayed');
      await queue.add('later', { v: 1 }, { delay: 6 * 3_600_000 });
      const worker = queues.worker('delayed', async (job) => (job.data as { v: number }).v * 10);
      // The worker learns of the delayed job and would wait for NOTIFY until it is due.
      await once(worker, 'drained');
      const events = queues.events('delayed');
      await events.waitUntilReady();
      const now = await queue.add('now', { v: 4 });
      assert.equal(await now.waitUntilFinished(events, 60_000), 40);
    } finally {
      await queues.close();
    }
  });

  it('requires the password generated into the data dir (SCRAM-SHA-256): the wrong one or none is refused, the right one served', async () => {
    const passwordFile = `${dir}.password`;
    const password = readFileSync(passwordFile, 'utf8').trim();
    assert.match(password, /^[0-9a-f]{64}$/);
    assert.equal(statSync(passwordFile).mode & 0o777, 0o600);
    const url = new URL(pg.url);
    assert.equal(decodeURIComponent(url.password), password, "the app's own URL carries the password");
    await assertServed(pg.url);

    const wrong = new URL(pg.url);
    wrong.password = 'f'.repeat(64);
    await assert.rejects(new Client({ connectionString: wrong.toString() }).connect(), /password authentication failed for user "postgres"/);
    const otherUser = new URL(pg.url);
    otherUser.username = 'admin';
    await assert.rejects(new Client({ connectionString: otherUser.toString() }).connect(), /password authentication failed for user "admin"/);
    const none = new URL(pg.url);
    none.password = '';
    await assert.rejects(new Client({ connectionString: none.toString() }).connect());

    // A client that skips authentication and sends a query gets a FATAL error and a closed connection, no rows.
    const socket = connect(Number(url.port), '127.0.0.1');
    await once(socket, 'connect');
    const raw = bytesOf(socket);
    socket.write(startupMessage('postgres'));
    const offered = await raw.next((b) => b.length >= 9);
    assert.deepEqual([String.fromCharCode(offered[0]), offered.readInt32BE(5)], ['R', 10], 'AuthenticationSASL');
    assert.match(offered.toString('latin1'), /SCRAM-SHA-256/);
    const query = Buffer.from('SELECT 1\0', 'latin1');
    const head = Buffer.alloc(5);
    head.write('Q');
    head.writeInt32BE(4 + query.length, 1);
    socket.write(Buffer.concat([head, query]));
    const refused = await raw.next((b) => b.includes(0x45) && b.includes(0));
    assert.match(refused.toString('latin1'), /SFATAL.*C08P01\0Mexpected a SASL response/);
    await once(socket, 'close');
    await assertServed(pg.url);
  });

  it('keeps its password across restarts', async () => {
    const other = tempDir('tollgate-pglite-restart-');
    try {
      const first = await startEmbeddedPostgres(join(other, 'postgres'));
      const firstPassword = new URL(first.url).password;
      await first.stop();
      const second = await startEmbeddedPostgres(join(other, 'postgres'));
      try {
        assert.equal(new URL(second.url).password, firstPassword);
        await assertServed(second.url);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a message type PostgreSQL does not know (it would spin PGlite) and serves the others', async () => {
    const raw = await rawSession(pg.url);
    try {
      raw.socket.write(Buffer.from([0x7a, 0, 0, 0, 8, 1, 2, 3, 4]));
      const reply = await raw.next((b) => b.includes(0x45));
      assert.equal(String.fromCharCode(reply[0]), 'E');
      assert.match(reply.toString('latin1'), /C08P01\0Minvalid frontend message type 122/);
      await assertServed(pg.url);
    } finally {
      raw.socket.destroy();
    }
  });
});

describe('embedded PostgreSQL when PGlite throws on a message', () => {
  it('answers that client with an error instead of leaving the session wedged for every client', async () => {
    const dir = tempDir('tollgate-pglite-throw-');
    const db = await PGlite.create(dir);
    let throwNext = false;
    // A PGlite whose next protocol message fails, as a crash inside the WASM would.
    const flaky = new Proxy(db, {
      get(target, property) {
        if (property === 'execProtocolRawStream') {
          return (message: Uint8Array, options: unknown) => {
            if (throwNext && message[0] === 0x51) {
              throwNext = false;
              return Promise.reject(new Error('simulated failure'));
            }
            return (target.execProtocolRawStream as (m: Uint8Array, o: unknown) => Promise<void>).call(target, message, options);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const server = new PGLiteSocketServer({ db: withWholeProtocolCycles(flaky), host: '127.0.0.1', port: 0, maxConnections: 4 });
    await server.start();
    const { port } = (server as unknown as { server: { address(): { port: number } } }).server.address();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      throwNext = true;
      await assert.rejects(client.query('SELECT 1'), /embedded PostgreSQL failed on this message: simulated failure/);
      assert.deepEqual((await client.query('SELECT 2 AS x')).rows, [{ x: 2 }]);
      await assertServed(url);
    } finally {
      await client.end();
      await server.stop();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A parameterised query from a fresh connection gets its answer (the session is not held by anyone else). */
async function assertServed(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    assert.deepEqual((await client.query('SELECT $1::int + 1 AS x', [41])).rows, [{ x: 42 }]);
  } finally {
    await client.end();
  }
}

/**
 * A hand-driven protocol session: `pg` connects (authenticating with the URL's password), then its socket is taken
 * over for raw bytes in and out.
 */
async function rawSession(url: string): Promise<{ socket: Socket; next(until: (buffered: Buffer) => boolean): Promise<Buffer> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  // The test ends the session by destroying the socket, which `pg` would report as an unexpected termination.
  client.on('error', () => undefined);
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  socket.removeAllListeners('data');
  socket.removeAllListeners('error');
  socket.on('error', () => undefined);
  return bytesOf(socket);
}

/** Raw bytes of a socket: `next(until)` resolves with what arrived once `until` holds for it. */
function bytesOf(socket: Socket): { socket: Socket; next(until: (buffered: Buffer) => boolean): Promise<Buffer> } {
  let buffered = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiter?.();
  });
  socket.on('close', () => {
    closed = true;
    waiter?.();
  });
  const next = async (until: (b: Buffer) => boolean): Promise<Buffer> => {
    while (!until(buffered)) {
      if (closed) throw new Error(`connection closed; received ${buffered.toString('latin1')}`);
      await new Promise<void>((resolve) => (waiter = resolve));
    }
    const out = buffered;
    buffered = Buffer.alloc(0);
    return out;
  };
  return { socket, next };
}

function startupMessage(user: string): Buffer {
  const params = Buffer.from(`user\0${user}\0database\0postgres\0\0`, 'latin1');
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length);
  startup.writeInt32BE(196_608, 4);
  return Buffer.concat([startup, params]);
}
