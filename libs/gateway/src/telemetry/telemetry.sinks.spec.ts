import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CollectorSink } from './telemetry.sinks';
import { SpoolBatch } from './telemetry.spool';

// Against a collector on loopback that records each POST and answers with the status `answer` picks.
describe('CollectorSink', () => {
  let server: Server;
  let url: string;
  let posts: { auth?: string; type?: string; seqs: number[]; bytes: number }[] = [];
  let answer: (bytes: number) => number = () => 200;

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const status = answer(body.length);
        if (status === 200) {
          const seqs = body.toString('utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq);
          posts.push({ auth: req.headers.authorization, type: req.headers['content-type'], seqs, bytes: body.length });
        }
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status === 200 ? { accepted: 1, rejected: 0 } : { error: 'no' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const batchOf = (n: number) => SpoolBatch.of(Array.from({ length: n }, (_, seq) => JSON.stringify({ seq, pad: 'x'.repeat(80) })));

  it('sends the spooled bytes as NDJSON with the collector token', async () => {
    posts = [];
    answer = () => 200;
    const sink = new CollectorSink(`${url}/`, 'token-123');
    await sink.send(batchOf(5));
    await sink.close();
    assert.deepEqual(posts, [{ auth: 'Bearer token-123', type: 'application/x-ndjson', seqs: [0, 1, 2, 3, 4], bytes: batchOf(5).ndjson.length }]);
  });

  it('splits a batch larger than the body limit before sending, in order, and skips a single oversized event', async () => {
    posts = [];
    answer = () => 200;
    const sink = new CollectorSink(url, 't', 1_000);
    await sink.send(batchOf(40));
    assert.ok(posts.length > 1);
    assert.ok(posts.every((p) => p.bytes <= 1_000));
    assert.deepEqual(posts.flatMap((p) => p.seqs), Array.from({ length: 40 }, (_, i) => i));
    posts = [];
    await sink.send(SpoolBatch.of([JSON.stringify({ seq: 0, pad: 'x'.repeat(2_000) })]));
    assert.deepEqual(posts, []);
    await sink.close();
  });

  it('halves on 413 and throws on an outage so the spool keeps the batch', async () => {
    posts = [];
    answer = (bytes) => (bytes > 500 ? 413 : 200);
    const sink = new CollectorSink(url, 't');
    await sink.send(batchOf(10));
    assert.deepEqual(posts.flatMap((p) => p.seqs), Array.from({ length: 10 }, (_, i) => i));
    answer = () => 503;
    await assert.rejects(sink.send(batchOf(2)), /collector answered 503/);
    await sink.close();
  });
});
