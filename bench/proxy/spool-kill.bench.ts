// kill -9 window of the telemetry spool: a child records proxy-sized events steadily (about 5,000/s) into a spool whose
// sink is down (so everything stays on disk); the parent SIGKILLs it at a random moment and reads back the newest
// event that survived. The gap between the kill and that event is the window of telemetry lost. Repeated 20 times.
//   node dist/bench/proxy/spool-kill.bench.js
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelemetrySpool } from '@tollgate/gateway';

const pad = 'x'.repeat(700); // about the size of a real event

async function child(dir: string) {
  const spool = new TelemetrySpool(dir, { send: async () => Promise.reject(new Error('sink down')) }, { minBackoffMs: 60_000 });
  await spool.open();
  let seq = 0;
  setInterval(() => {
    const t = Date.now();
    for (let i = 0; i < 5; i++) spool.record({ seq: seq++, t, pad });
  }, 1);
  process.send?.('ready');
}

async function parent() {
  const runs = Number(process.env.BENCH_RUNS ?? 20);
  const windows: number[] = [];
  for (let r = 0; r < runs; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'spool-kill-'));
    const proc = fork(__filename, ['child', dir], { stdio: 'inherit' });
    await new Promise((resolve) => proc.once('message', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 500));
    const killedAt = Date.now();
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));
    let newest = 0;
    let events = 0;
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.ndjson'))) {
      for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const event = JSON.parse(line) as { t: number };
          newest = Math.max(newest, event.t);
          events++;
        } catch {
          // a torn last line: the reader cuts it on open
        }
      }
    }
    windows.push(killedAt - newest);
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`run ${r + 1}: ${events} events on disk, newest ${killedAt - newest} ms before the kill\n`);
  }
  windows.sort((a, b) => a - b);
  console.log(`kill -9 window (sync interval 50 ms): p50 ${windows[Math.floor(windows.length / 2)]} ms, max ${windows[windows.length - 1]} ms over ${runs} kills`);
}

if (process.argv[2] === 'child') void child(process.argv[3]);
else void parent();
