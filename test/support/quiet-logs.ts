// Preloaded into every test process by scripts/test.mjs (`--require`). The code under test logs one JSON line per
// event, and expected-failure tests log errors on purpose: those lines, and Node's process warnings, go to
// test-output/logs/<test file>.log instead of the report, so the runner's output is the specs and the summary.
// `TOLLGATE_TEST_LOGS=inline npm test` keeps them in the report. A test that captures output (output-capture.ts)
// patches the streams after this, so it still sees every line first.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { projectRoot } from '@tollgate/storage';

const testFile = process.argv[1] ?? '';
const isTestProcess = /\.(test|spec)\.js$/.test(testFile);

if (isTestProcess && process.env.TOLLGATE_TEST_LOGS !== 'inline') {
  const dir = join(projectRoot(), 'test-output', 'logs');
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, `${basename(testFile).replace(/\.js$/, '')}.log`), 'w');
  const isLogLine = (text: string) => text.startsWith('{"ts":"') && text.includes('"level":"');

  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      if (typeof chunk === 'string' && isLogLine(chunk)) {
        writeSync(fd, chunk);
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        if (callback) process.nextTick(callback);
        return true;
      }
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
  }
  // scripts/test.mjs runs with --no-warnings: Node's warnings (experimental APIs, the AWS SDK's runtime notice) are
  // kept here rather than printed between the specs.
  process.on('warning', (warning) => writeSync(fd, `${JSON.stringify({ ts: new Date().toISOString(), level: 'warn', context: 'node', msg: warning.message, name: warning.name })}\n`));
  process.on('exit', () => closeSync(fd));
}
