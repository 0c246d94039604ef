/**
 * Captures what the process writes to stdout and stderr (the structured logger's only outputs) while passing it
 * through, except debug and info lines, which are only kept: a test can raise LOG_LEVEL to debug to check every log
 * line a flow writes without flooding the test report.
 */
export function captureOutput() {
  const captured: string[] = [];
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const stream of ['stdout', 'stderr'] as const) {
    const original = originals[stream];
    process[stream].write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      captured.push(text);
      if (/"level":"(debug|info)"/.test(text)) {
        // Kept, not written: still honour a write callback.
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        if (callback) process.nextTick(callback);
        return true;
      }
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
  }
  return {
    text: () => captured.join(''),
    restore() {
      process.stdout.write = originals.stdout;
      process.stderr.write = originals.stderr;
    },
  };
}
