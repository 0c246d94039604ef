// The tokenizer's own thread. js-tiktoken's o200k_base ranks take ~66 MB of JS heap; held by the proxy's main
// thread, every full garbage collection had to mark them (a ~40 ms pause of all traffic, measured). Here they sit in
// a heap of their own and the proxy only exchanges texts and counts with this thread.
import { parentPort } from 'node:worker_threads';

interface Tiktoken {
  encode(text: string, allowedSpecial?: string[] | 'all', disallowedSpecial?: string[] | 'all'): number[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getEncoding } = require('js-tiktoken') as { getEncoding(name: 'o200k_base'): Tiktoken };

const port = parentPort;
if (!port) throw new Error('token-count.worker runs as a worker thread');
const encoding = getEncoding('o200k_base');
port.on('message', ({ id, texts }: { id: number; texts: string[] }) => {
  try {
    // Special-token text (e.g. "<|endoftext|>" typed by a user) is counted as ordinary text, never refused.
    port.postMessage({ id, counts: texts.map((text) => (text ? encoding.encode(text, [], []).length : 0)) });
  } catch (error) {
    port.postMessage({ id, error: (error as Error).message ?? String(error) });
  }
});
port.postMessage({ ready: true });
