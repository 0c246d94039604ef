import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { TokenEstimator } from './token.estimator';

interface Tiktoken {
  encode(text: string, allowedSpecial?: string[] | 'all', disallowedSpecial?: string[] | 'all'): number[];
}

describe('TokenEstimator', () => {
  const estimator = new TokenEstimator();
  let heapGrowthMb = 0;
  let reference: Tiktoken;
  const tokens = (text: string) => reference.encode(text, [], []).length;

  before(async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    await estimator.start();
    heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    // The same encoding loaded here, after the measurement, as the reference the thread's counts must equal.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    reference = (require('js-tiktoken') as { getEncoding(name: string): Tiktoken }).getEncoding('o200k_base');
  });
  after(() => estimator.close());

  it('keeps the encoding out of the caller’s heap (its ranks are ~66 MB of JS objects)', () => {
    assert.ok(heapGrowthMb < 20, `main heap grew ${heapGrowthMb.toFixed(1)} MB while the tokenizer loaded`);
  });

  it('counts o200k_base tokens, special-token text as ordinary text', async () => {
    const texts = ['Hello, world!', 'Größenordnung 東京 🚀', '<|endoftext|> is typed, not special', ''];
    assert.deepEqual(await estimator.countTexts(texts), texts.map(tokens));
    assert.equal(await estimator.count('The quick brown fox'), tokens('The quick brown fox'));
  });

  it('adds the per-message overhead to a chat prompt (3 priming + 3 per message + 1 per name)', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', name: 'ada', content: [{ type: 'text', text: 'Describe this' }, { type: 'image_url', image_url: { url: 'x' } }] },
    ];
    const expected = 3 + 3 + tokens('system') + tokens('Be brief.') + 3 + tokens('user') + tokens('ada') + 1 + tokens('Describe this');
    assert.equal(await estimator.countChatPrompt(messages), expected);
    assert.equal(await estimator.countChatPrompt('not a list'), 0);
  });

  it('counts embeddings input: a string, strings, and pre-tokenized arrays by length', async () => {
    assert.equal(await estimator.countInput('one two'), tokens('one two'));
    assert.equal(await estimator.countInput(['one two', [1, 2, 3], 'three']), tokens('one two') + 3 + tokens('three'));
    assert.equal(await estimator.countInput(42), 0);
  });

  it('answers concurrent counts each with its own result', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => 'word '.repeat(i));
    assert.deepEqual(await Promise.all(texts.map((t) => estimator.count(t))), texts.map(tokens));
  });

  it('replaces a tokenizer thread that died, and fails the counts it was holding', async () => {
    const thread = (estimator as unknown as { worker: Worker }).worker;
    // Long enough (seconds of encoding) that the thread is still on it when terminated.
    const inFlight = estimator.count('lost with the thread '.repeat(500_000));
    await thread.terminate();
    await assert.rejects(inFlight, /tokenizer thread exited/);
    assert.equal(await estimator.count('a new thread'), tokens('a new thread'));
  });

  it('refuses counts once closed', async () => {
    const closing = new TokenEstimator();
    await closing.start();
    await closing.close();
    await assert.rejects(closing.count('late'), /closed/);
  });
});
