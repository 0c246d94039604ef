import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LlmRequestsWriteGate } from './llm-requests-write.gate';

/** A promise and the function that resolves it. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('write gate between INSERTs and rollup repairs', () => {
  it('lets INSERTs overlap, starts a repair once they are done, holds new INSERTs until it ends, and bumps the generation', async () => {
    const gate = new LlmRequestsWriteGate();
    const log: string[] = [];
    const first = deferred();
    const second = deferred();
    const a = gate.shared(async () => (log.push('a start'), await first.promise, log.push('a end')));
    const b = gate.shared(async () => (log.push('b start'), await second.promise, log.push('b end')));
    await Promise.resolve();
    const repair = gate.exclusive(async () => log.push(`repair at generation ${gate.generation}`));
    await new Promise((r) => setImmediate(r));
    const c = gate.shared(async () => log.push(`c at generation ${gate.generation}`));
    first.resolve();
    await a;
    second.resolve();
    await Promise.all([b, repair, c]);
    assert.deepEqual(log, ['a start', 'b start', 'a end', 'b end', 'repair at generation 0', 'c at generation 1']);
  });

  it('runs repairs one after the other, a failed one releasing the gate', async () => {
    const gate = new LlmRequestsWriteGate();
    const log: string[] = [];
    const failing = gate.exclusive(async () => {
      log.push('first');
      throw new Error('ClickHouse down');
    });
    const next = gate.exclusive(async () => log.push('second'));
    await assert.rejects(failing, /ClickHouse down/);
    await next;
    await gate.shared(async () => log.push('insert'));
    assert.deepEqual(log, ['first', 'second', 'insert']);
    assert.equal(gate.generation, 2);
  });
});
