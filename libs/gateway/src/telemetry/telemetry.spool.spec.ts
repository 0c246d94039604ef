import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolBatch, TelemetrySink, TelemetrySpool } from './telemetry.spool';

/** A sink that stores what it receives and can be switched off (an unreachable collector). */
class RecordingSink implements TelemetrySink {
  down = false;
  failures = 0;
  received: number[] = [];
  async send(batch: SpoolBatch): Promise<void> {
    if (this.down) {
      this.failures++;
      throw new Error('connect ECONNREFUSED');
    }
    // A batch is whole NDJSON lines only, and says how many.
    assert.equal(batch.ndjson.at(-1), 0x0a);
    const lines = batch.lines();
    assert.equal(lines.length, batch.count);
    for (const line of lines) this.received.push((JSON.parse(line) as { seq: number }).seq);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const fast = { syncIntervalMs: 5, deliveryIntervalMs: 5, minBackoffMs: 5, maxBackoffMs: 20 };

function spoolLines(dir: string): number {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.ndjson'))
    .reduce((sum, n) => sum + readFileSync(join(dir, n), 'utf8').split('\n').filter((l) => l.startsWith('{')).length, 0);
}

describe('TelemetrySpool', () => {
  it('keeps events on disk while the sink is down and replays them in order when it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const sink = new RecordingSink();
    sink.down = true;
    const spool = new TelemetrySpool(dir, sink, fast);
    await spool.open();
    for (const seq of range(0, 3000)) spool.record({ seq });
    await spool.persist();
    assert.equal(spool.stats().buffered, 0, 'nothing held in memory once fsynced');
    assert.equal(spoolLines(dir), 3000, 'every event is in the spool file');
    for (const seq of range(3000, 5000)) spool.record({ seq });
    sink.down = false;
    await spool.flush();
    assert.deepEqual(sink.received, range(0, 5000), 'all events, once each, in order');
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves events that become durable during a slow delivery for the next one instead of chasing them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const batches: number[][] = [];
    let sendStarted!: () => void;
    const started = new Promise<void>((resolve) => (sendStarted = resolve));
    let releaseFirst!: () => void;
    const firstReleased = new Promise<void>((resolve) => (releaseFirst = resolve));
    const sink: TelemetrySink = {
      async send(batch) {
        batches.push(batch.lines().map((line) => (JSON.parse(line) as { seq: number }).seq));
        if (batches.length === 1) {
          sendStarted();
          await firstReleased;
        }
      },
    };
    // A long interval: only a full batch (three events) or a flush starts a delivery.
    const spool = new TelemetrySpool(dir, sink, { syncIntervalMs: 5, deliveryIntervalMs: 60_000, batchSize: 3 });
    await spool.open();
    for (const seq of range(0, 3)) spool.record({ seq });
    await spool.persist();
    await started;
    for (const seq of range(3, 5)) spool.record({ seq });
    await spool.persist();
    releaseFirst();
    spool.record({ seq: 5 });
    await spool.flush();
    assert.deepEqual(batches, [range(0, 3), range(3, 6)], 'the events of the slow delivery, then everything after it in one batch');
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes after a restart from its cursor, skipping a line torn by a crash, across segment files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const sink = new RecordingSink();
    const first = new TelemetrySpool(dir, sink, { ...fast, segmentBytes: 4096 });
    await first.open();
    for (const seq of range(0, 200)) first.record({ seq, pad: 'x'.repeat(40) });
    await first.flush();
    sink.down = true;
    for (const seq of range(200, 600)) first.record({ seq, pad: 'x'.repeat(40) });
    await first.close(0); // SIGTERM with the sink still down: everything stays on disk
    assert.ok(readdirSync(dir).filter((n) => n.endsWith('.ndjson')).length > 1, 'rolled over into several segments');
    // A crash in the middle of a write leaves half a line at the end of the last segment.
    const last = readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort().at(-1)!;
    appendFileSync(join(dir, last), '{"seq": 99999, "pa');

    sink.down = false;
    const second = new TelemetrySpool(dir, sink, { ...fast, segmentBytes: 4096 });
    await second.open();
    for (const seq of range(600, 700)) second.record({ seq });
    await second.flush();
    assert.deepEqual(sink.received, range(0, 700));
    await second.close();
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.ndjson')).length, 1, 'delivered segments are deleted');
    rmSync(dir, { recursive: true, force: true });
  });

  it('skips blank and stray lines in the middle of a segment and delivers the events around them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const sink = new RecordingSink();
    sink.down = true;
    const first = new TelemetrySpool(dir, sink, fast);
    await first.open();
    for (const seq of range(0, 5)) first.record({ seq });
    await first.close(0);
    const segment = readdirSync(dir).find((n) => n.endsWith('.ndjson'))!;
    appendFileSync(join(dir, segment), '\n\nnot an event\n{"seq":5}\n\n{"seq":6}\n');
    sink.down = false;
    const second = new TelemetrySpool(dir, sink, fast);
    await second.open();
    await second.flush();
    assert.deepEqual(sink.received, range(0, 7));
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('splits a batch in halves on line boundaries, in order', () => {
    const batch = SpoolBatch.of(range(0, 5).map((seq) => JSON.stringify({ seq, text: 'ü€' })));
    const [a, b] = batch.halves();
    assert.deepEqual([a.count, b.count], [3, 2]);
    assert.deepEqual([...a.lines(), ...b.lines()], batch.lines());
    assert.deepEqual(a.lines().map((l) => JSON.parse(l).seq), [0, 1, 2]);
    assert.equal(Buffer.concat([a.ndjson, b.ndjson]).equals(batch.ndjson), true);
  });
});
