import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ClickHouseClient, ClickHouseError, createClient } from '@clickhouse/client';
import { createClickHouseClient, insertRawBody, ClickHouseLogAdapter } from '@tollgate/storage';
import { tempDir } from '../support/test-env';

const tsv = (rows: string[][]) => Buffer.from(rows.map((r) => r.join('\t') + '\n').join(''), 'utf8');

describe('insertRawBody on the embedded ClickHouse (chDB)', () => {
  const dir = tempDir('tollgate-rawins-');
  let client: ClickHouseClient;
  before(async () => {
    client = await createClickHouseClient({ embeddedDir: join(dir, 'ch'), database: 'raw_insert_test' });
    await client.command({ query: 'CREATE TABLE t (id String, at DateTime64(3, \'UTC\'), n UInt32, note String) ENGINE = MergeTree ORDER BY id' });
    await client.command({ query: 'CREATE TABLE t_count (rows UInt64) ENGINE = SummingMergeTree ORDER BY tuple()' });
    await client.command({ query: 'CREATE MATERIALIZED VIEW t_count_mv TO t_count AS SELECT count() AS rows FROM t' });
  });
  after(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const select = async (query: string) => (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, string>>();

  it('inserts the body into the named columns of the session database, materialized views included', async () => {
    const body = tsv([
      ['a', '2026-11-20 10:15:00.123', '1', 'tab\\there ü'],
      ['b', '2026-11-20 10:15:01.000', '2', 'back\\\\slash'],
    ]);
    await insertRawBody(client, { table: 't', columns: ['id', 'at', 'n', 'note'], format: 'TabSeparated', body, settings: { date_time_input_format: 'basic' } });
    assert.deepEqual(await select('SELECT id, toString(at) AS at, n, note FROM t ORDER BY id'), [
      { id: 'a', at: '2026-11-20 10:15:00.123', n: 1, note: 'tab\there ü' },
      { id: 'b', at: '2026-11-20 10:15:01.000', n: 2, note: 'back\\slash' },
    ]);
    assert.deepEqual(await select('SELECT sum(rows) AS rows FROM t_count'), [{ rows: '2' }]);
  });

  it("applies the client's default settings: a best-effort time parses unless the call overrides it", async () => {
    const body = tsv([['c', '2026-11-20T10:15:02Z', '3', '']]);
    await insertRawBody(client, { table: 't', columns: ['id', 'at', 'n', 'note'], format: 'TabSeparated', body });
    assert.deepEqual(await select(`SELECT toString(at) AS at FROM t WHERE id = 'c'`), [{ at: '2026-11-20 10:15:02.000' }]);
    await assert.rejects(
      insertRawBody(client, { table: 't', columns: ['id', 'at', 'n', 'note'], format: 'TabSeparated', body: tsv([['d', '2026-11-20T10:15:02Z', '3', '']]), settings: { date_time_input_format: 'basic' } }),
      (error: unknown) => error instanceof ClickHouseError && error.code !== '',
    );
  });

  it('reports server errors as ClickHouseError with their code, and writes nothing for an empty body', async () => {
    await assert.rejects(insertRawBody(client, { table: 'no_such_table', columns: ['id'], format: 'TabSeparated', body: tsv([['x']]) }), (error: unknown) => {
      assert.ok(error instanceof ClickHouseError);
      assert.equal(error.code, '60');
      return true;
    });
    await assert.rejects(insertRawBody(client, { table: 't', columns: ['id', 'at', 'n', 'note'], format: 'TabSeparated', body: tsv([['e', 'not a time', 'x', '']]) }), ClickHouseError);
    await insertRawBody(client, { table: 't', columns: ['id'], format: 'TabSeparated', body: Buffer.alloc(0) });
    assert.deepEqual(await select('SELECT count() AS n FROM t'), [{ n: '3' }]);
  });
});

// A ClickHouse server takes the body through its HTTP interface; a loopback server records what it receives.
describe('insertRawBody against a ClickHouse HTTP server', () => {
  let server: Server;
  let url: string;
  const received: { query: URLSearchParams; body: Buffer }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const query = new URL(req.url ?? '/', 'http://x').searchParams;
        received.push({ query, body: Buffer.concat(chunks) });
        if (query.get('query')?.includes('missing')) {
          res.writeHead(404, { 'x-clickhouse-exception-code': '60' });
          res.end('Code: 60. DB::Exception: Unknown table expression identifier \'missing\'. (UNKNOWN_TABLE) (version 25.8.1.1)');
          return;
        }
        res.writeHead(200, { 'x-clickhouse-summary': '{"written_rows":"2"}' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the same bytes as the request body, with the INSERT and settings in the query string', async () => {
    const client = createClient({ url, database: 'tollgate', log: { LoggerClass: ClickHouseLogAdapter } });
    const body = tsv([
      ['a', '2026-11-20 10:15:00.123', '1', 'ü € 😀'],
      ['b', '2026-11-20 10:15:01.000', '2', 'tab\\there'],
    ]);
    await insertRawBody(client, { table: 't', columns: ['id', 'at', 'n', 'note'], format: 'TabSeparated', body, settings: { date_time_input_format: 'basic' } });
    const [request] = received.splice(0);
    assert.ok(request.body.equals(body), 'the body arrives byte for byte');
    assert.match(request.query.get('query') ?? '', /^INSERT INTO t \(id, at, n, note\) FORMAT TabSeparated/);
    assert.equal(request.query.get('date_time_input_format'), 'basic');
    assert.equal(request.query.get('database'), 'tollgate');

    await assert.rejects(insertRawBody(client, { table: 'missing', columns: ['id'], format: 'TabSeparated', body: tsv([['x']]) }), (error: unknown) => {
      assert.ok(error instanceof ClickHouseError);
      assert.equal(error.code, '60');
      return true;
    });
    received.splice(0);
    await insertRawBody(client, { table: 't', columns: ['id'], format: 'TabSeparated', body: Buffer.alloc(0) });
    assert.equal(received.length, 0, 'an empty body sends nothing');
    await client.close();
  });
});
