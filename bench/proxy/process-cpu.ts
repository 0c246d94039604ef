// CPU time a process has consumed, read from /proc (Linux): the whole process (every thread: GC helpers, libuv pool,
// chDB) and its main thread alone (the event loop every request waits for). Read from outside, so it works the same
// for Tollgate, the bare floor, the mock upstream and Portkey, and, unlike latency, does not depend on machine load.
import { readdirSync, readFileSync } from 'node:fs';

/** Microseconds of user + system CPU. */
export interface CpuSample {
  process: number;
  mainThread: number;
}

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/** A `/proc/.../stat` line's command name and its user + system CPU in microseconds. */
function parseStat(stat: string): { name: string; us: number } {
  // Fields after the command name (which may contain spaces) start at `state`; utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), us: (Number(fields[11]) + Number(fields[12])) * TICK_US };
}

const cpuUs = (statPath: string) => parseStat(readFileSync(statPath, 'utf8')).us;

export function sampleCpu(pid: number): CpuSample {
  return { process: cpuUs(`/proc/${pid}/stat`), mainThread: cpuUs(`/proc/${pid}/task/${pid}/stat`) };
}

export function cpuSince(pid: number, before: CpuSample): CpuSample {
  const now = sampleCpu(pid);
  return { process: now.process - before.process, mainThread: now.mainThread - before.mainThread };
}

/**
 * Microseconds of CPU per thread of a process, with its name (`ThreadPool`, `MergeMutate` and other chDB pools, V8's
 * workers, the main thread as `main`). chDB renames a pooled thread for each job it takes, so deltas are taken per
 * thread and grouped by the name it has at the end.
 */
export function sampleThreads(pid: number): Map<string, { name: string; us: number }> {
  const threads = new Map<string, { name: string; us: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const { name, us } = parseStat(stat);
    threads.set(tid, { name: tid === String(pid) ? 'main' : name.replace(/[\d:]+$/, '').trim(), us });
  }
  return threads;
}

/** CPU per thread name since `before`, largest first; threads that started and ended in between are not seen. */
export function threadsSince(pid: number, before: Map<string, { name: string; us: number }>): [string, number][] {
  const groups = new Map<string, number>();
  for (const [tid, { name, us }] of sampleThreads(pid)) groups.set(name, (groups.get(name) ?? 0) + us - (before.get(tid)?.us ?? 0));
  return [...groups].filter(([, us]) => us > 0).sort((a, b) => b[1] - a[1]);
}
