import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { once } from 'node:events';
import { Pool } from 'pg';
import { EmbeddedPostgres, QueueBackend, startEmbeddedPostgres } from '@tollgate/storage';
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
    const queues = new QueueBackend({ kind: 'postgres', url: pg.url, prefix: 'pglite' });
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
});
