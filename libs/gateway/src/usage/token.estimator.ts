import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Logger } from '@tollgate/core';

const logger = new Logger('token-estimator');

interface Pending {
  resolve(counts: number[]): void;
  reject(error: Error): void;
}

/**
 * Counts tokens when a provider reports no usage (self-hosted servers without usage, streams cut off before the
 * usage event). js-tiktoken bundles its BPE ranks, so this needs no network. o200k_base is used for every model: an
 * estimate, marked `usage_source=estimated`.
 *
 * The encoding lives in a worker thread (token-count.worker.ts), loaded once at boot by `start()`: its ranks are
 * ~66 MB of JS heap, and in the proxy's own heap every full GC had to mark them. Only requests without reported
 * usage pay a round trip to the thread; a thread that dies is replaced on the next count.
 */
export class TokenEstimator {
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /** Starts the tokenizer thread and waits until its encoding is loaded (hundreds of ms, at boot, off the event loop). */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('token estimator is closed'));
    if (this.ready) return this.ready;
    const worker = new Worker(join(__dirname, 'token-count.worker.js'));
    // The thread never keeps a process alive on its own: shutdown closes it, and a test that forgets is not stuck.
    worker.unref();
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      const failedToStart = (error: Error) => reject(error);
      worker.once('error', failedToStart);
      worker.once('message', () => {
        worker.off('error', failedToStart);
        resolve();
      });
    });
    worker.on('message', (message: { id?: number; counts?: number[]; error?: string }) => {
      if (message.id === undefined) return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.counts) pending.resolve(message.counts);
      else pending.reject(new Error(`token count failed: ${message.error}`));
    });
    worker.on('error', (error) => logger.error('tokenizer thread failed', { error }));
    worker.on('exit', (code) => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.ready = undefined;
      }
      for (const [id, pending] of this.pending) {
        this.pending.delete(id);
        pending.reject(new Error(`tokenizer thread exited (code ${code})`));
      }
    });
    this.ready.catch(() => undefined);
    return this.ready;
  }

  /** Stops the thread; counts still pending are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker) await worker.terminate();
  }

  /** Tokens of each text, in order. */
  async countTexts(texts: string[]): Promise<number[]> {
    if (texts.every((text) => !text)) return texts.map(() => 0);
    await this.start();
    const worker = this.worker!;
    const id = this.nextId++;
    return new Promise<number[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, texts });
    });
  }

  async count(text: string): Promise<number> {
    return (await this.countTexts([text]))[0];
  }

  /** Prompt tokens of a chat request: content text plus OpenAI's documented per-message overhead (3 + 3 priming). */
  async countChatPrompt(messages: unknown): Promise<number> {
    if (!Array.isArray(messages)) return 0;
    let overhead = 3;
    const texts: string[] = [];
    for (const message of messages as { role?: string; content?: unknown; name?: string }[]) {
      overhead += 3;
      texts.push(String(message.role ?? ''));
      if (message.name) {
        texts.push(message.name);
        overhead += 1;
      }
      if (typeof message.content === 'string') texts.push(message.content);
      else if (Array.isArray(message.content)) {
        for (const part of message.content as { type?: string; text?: string }[]) if (part.type === 'text' && part.text) texts.push(part.text);
      }
    }
    return overhead + sum(await this.countTexts(texts));
  }

  /** Input of an embeddings request (string or array of strings; pre-tokenized arrays count their length). */
  async countInput(input: unknown): Promise<number> {
    if (typeof input === 'string') return this.count(input);
    if (!Array.isArray(input)) return 0;
    const texts = input.filter((item): item is string => typeof item === 'string');
    const pretokenized = input.reduce((total: number, item) => total + (Array.isArray(item) ? item.length : 0), 0);
    return pretokenized + sum(await this.countTexts(texts));
  }
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
