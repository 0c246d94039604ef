// Mock OpenAI upstream for the soak bench, in its own process. Answers chat completions at once, except a share of
// them (argv[2], e.g. 0.05) that fail as a real provider does under trouble, in equal thirds: a 500 or 503 at once; a
// 504 after 1.5 s (a gateway's timeout); the connection reset without an answer. Reports its counts on request.
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';

const errorRate = Number(process.argv[2] ?? 0);
const completion = JSON.stringify({
  id: 'chatcmpl-soak',
  object: 'chat.completion',
  created: 1_760_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
});
const counts = { requests: 0, ok: 0, status5xx: 0, timeouts: 0, resets: 0 };

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    counts.requests++;
    const roll = Math.random();
    if (roll < errorRate / 3) {
      counts.status5xx++;
      const body = JSON.stringify({ error: { message: 'upstream trouble', type: 'server_error' } });
      res.writeHead(counts.status5xx % 2 ? 500 : 503, { 'content-type': 'application/json' }).end(body);
    } else if (roll < (2 * errorRate) / 3) {
      counts.timeouts++;
      setTimeout(() => res.writeHead(504, { 'content-type': 'application/json' }).end('{"error":{"message":"gateway timeout"}}'), 1_500);
    } else if (roll < errorRate) {
      counts.resets++;
      req.socket.destroy();
    } else {
      counts.ok++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(completion) }).end(completion);
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
process.on('message', (m: { type: string }) => {
  if (m.type === 'counts') process.send?.({ type: 'counts', ...counts });
});
process.on('SIGTERM', () => process.exit(0));
