// CPU time a process has consumed, read from /proc (Linux): the whole process (every thread: GC helpers, libuv pool,
// chDB) and its main thread alone (the event loop every request waits for). Read from outside, so it works the same
// for Tollgate, the bare floor, the mock upstream and Portkey, and, unlike latency, does not depend on machine load.
import { readFileSync } from 'node:fs';

/** Microseconds of user + system CPU. */
export interface CpuSample {
  process: number;
  mainThread: number;
}

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function ticks(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // Fields after the command name (which may contain spaces) start at `state`; utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export function sampleCpu(pid: number): CpuSample {
  return { process: ticks(`/proc/${pid}/stat`) * TICK_US, mainThread: ticks(`/proc/${pid}/task/${pid}/stat`) * TICK_US };
}

export function cpuSince(pid: number, before: CpuSample): CpuSample {
  const now = sampleCpu(pid);
  return { process: now.process - before.process, mainThread: now.mainThread - before.mainThread };
}
