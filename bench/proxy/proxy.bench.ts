// Proxy benchmark: a mock OpenAI upstream on loopback; the same load straight at it (baseline), through Tollgate's
// proxy (all-in-one process, telemetry on) and through the Portkey gateway, in the same run. Prints added latency
// (target − direct) at p50/p90/p99 and throughput at 1, 10, 50 and 200 connections, non-streaming and streaming, the
// added time to first byte of a stream, ratios against Portkey, and the telemetry rows counted in ClickHouse.
//   npm run bench proxy      (needs `wrk` and this folder's `npm install` for Portkey; BENCH_DURATION=5 BENCH_RUNS=3 …)
import { ChildProcess, execFile, fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { cpuSince, sampleCpu, sampleThreads, threadsSince } from './process-cpu';

const root = join(__dirname, '..', '..', '..');
const duration = Number(process.env.BENCH_DURATION ?? 5);
const runs = Number(process.env.BENCH_RUNS ?? 1);
const connections = (process.env.BENCH_CONNECTIONS ?? '1,10,50,200').split(',').map(Number);
const skipPortkey = process.env.BENCH_SKIP_PORTKEY === '1';
// BENCH_ONLY=cpu: only the CPU-per-request section (quick, and meaningful on a loaded machine).
const cpuOnly = process.env.BENCH_ONLY === 'cpu';
const cpuSeconds = Number(process.env.BENCH_CPU_SECONDS ?? 5);
const cpuConnections = Number(process.env.BENCH_CPU_CONNECTIONS ?? 10);
const isolateWanted = process.env.BENCH_ISOLATE !== '0';
const children: ChildProcess[] = [];

interface Target {
  name: 'direct' | 'bare' | 'tollgate' | 'portkey';
  url: string;
  headers: Record<string, string>;
  /** The process serving it, for CPU accounting. */
  pid: number;
  /** A second process doing its work (Tollgate's collector when the proxy runs separately), counted in the CPU section. */
  helperPid?: number;
  /**
   * Resolves once the work a target defers (Tollgate's telemetry: spool → collector → ClickHouse) is done for every
   * request answered so far, so the CPU section charges that work to the requests that caused it, whatever the
   * delivery cadence.
   */
  settle?: () => Promise<void>;
}

interface WrkResult {
  p50: number;
  p90: number;
  p99: number;
  rps: number;
  requests: number;
  errors: number;
}

function forkChild(file: string, args: string[] = []): Promise<{ child: ChildProcess; message: any }> {
  const execArgv = process.env.BENCH_PROFILE && file.startsWith('tollgate') ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  // The Tollgate process runs with the flags `npm run start:proxy` uses (a 64 MB young generation: a third of the
  // scavenges under load); BENCH_NODE_FLAGS overrides them ('' for V8's defaults).
  const flags = process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=64';
  if (flags && file.startsWith('tollgate')) execArgv.push(...flags.split(' '));
  const child = fork(join(__dirname, file), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, message }));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

async function startPortkey(port: number): Promise<number> {
  const child = spawn(process.execPath, ['--require', join(root, 'bench', 'proxy', 'portkey-loopback.cjs'), join(root, 'bench', 'proxy', 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js'), `--port=${port}`, '--headless'], {
    stdio: 'ignore',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return child.pid!;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('Portkey did not start');
}

const toMs = (text: string): number => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
};

/** Sets the CPU affinity of every thread of a process (threads it starts later inherit it). */
function pin(pid: number, cpus: string): void {
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
  if (result.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid} failed: ${result.stderr}`);
}

/**
 * The "1 iso" row: one connection with Tollgate's collector on a vCPU of its own. At one connection the request chain
 * (wrk → target → mock) is serial and fits on vCPU 0; the collector (api process: ingest, chDB inserts and merges,
 * ~0.4 of a vCPU at this rate) goes to vCPU 1, as a deployment runs it on other cores or another machine. Every
 * target is measured the same way in that row (direct and Portkey included: the collector is idle for them).
 */
async function isolated<T>(targets: Target[], mockPid: number, run: (cpu: string) => Promise<T>): Promise<T> {
  const serving = [mockPid, ...targets.filter((t) => t.name !== 'direct').map((t) => t.pid)];
  const collector = targets.find((t) => t.helperPid)!.helperPid!;
  const all = `0-${availableParallelism() - 1}`;
  for (const pid of serving) pin(pid, '0');
  pin(collector, '1');
  try {
    return await run('0');
  } finally {
    for (const pid of [...serving, collector]) pin(pid, all);
  }
}

function wrk(target: Target, body: string, conns: number, seconds: number, cpu?: string): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-wrk-'));
  const script = join(dir, 'post.lua');
  const headerLines = Object.entries({ 'Content-Type': 'application/json', ...target.headers })
    .map(([k, v]) => `wrk.headers["${k}"] = "${v}"`)
    .join('\n');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = '${body}'\n${headerLines}\n`);
  const threads = Math.min(2, conns);
  return new Promise((resolve, reject) => {
    const args = [`-t${threads}`, `-c${conns}`, `-d${seconds}s`, '--latency', '--timeout', '10s', '-s', script, target.url];
    execFile(cpu === undefined ? 'wrk' : 'taskset', cpu === undefined ? args : ['-c', cpu, 'wrk', ...args], (error, stdout) => {
      rmSync(dir, { recursive: true, force: true });
      if (error) return reject(error);
      const pct = (p: string) => toMs((new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout) ?? [])[1] ?? '');
      const requests = Number((/(\d+) requests in/.exec(stdout) ?? [])[1]);
      const non2xx = Number((/Non-2xx or 3xx responses: (\d+)/.exec(stdout) ?? [0, 0])[1]);
      const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
      resolve({ p50: pct('50'), p90: pct('90'), p99: pct('99'), rps: Number((/Requests\/sec:\s+([\d.]+)/.exec(stdout) ?? [])[1]), requests, errors });
    });
  });
}

/**
 * Time to first body byte of a stream and to its end, sequential on one keep-alive connection (undici): a second
 * client for the one-connection streaming figures, beside wrk's.
 */
async function streamTimes(target: Target, body: string, count: number): Promise<{ first: number[]; complete: number[] }> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const first: number[] = [];
  const complete: number[] = [];
  for (let i = 0; i < count + 50; i++) {
    const started = performance.now();
    const res = await request(target.url, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', ...target.headers }, body });
    let firstAt = 0;
    for await (const _chunk of res.body) if (!firstAt) firstAt = performance.now();
    const done = performance.now();
    if (res.statusCode !== 200) throw new Error(`${target.name} stream answered ${res.statusCode}`);
    if (i >= 50) {
      first.push(firstAt - started);
      complete.push(done - started);
    }
  }
  await agent.close();
  return { first: first.sort((a, b) => a - b), complete: complete.sort((a, b) => a - b) };
}

const pctOf = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const f = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** Prints the sequential stream probe; returns Tollgate's added time to first byte, p50 (ms). */
async function printStreamProbe(targets: Target[], streamed: string): Promise<number> {
  const samples: Record<string, { first: number[]; complete: number[] }> = {};
  for (const t of targets) samples[t.name] = await streamTimes(t, streamed, Number(process.env.BENCH_TTFB_COUNT ?? 1000));
  for (const [what, key] of [['time to first byte', 'first'], ['time to the end of the stream', 'complete']] as const) {
    console.log(`== streaming: ${what}, 1 connection, sequential undici client (ms)`);
    for (const t of targets) {
      const s = samples[t.name][key];
      const d = samples.direct[key];
      const extra = t.name === 'direct' ? '' : `  added p50 ${f(pctOf(s, 50) - pctOf(d, 50), 3)} p90 ${f(pctOf(s, 90) - pctOf(d, 90), 3)} p99 ${f(pctOf(s, 99) - pctOf(d, 99), 3)}`;
      console.log(`${t.name.padEnd(9)} p50 ${f(pctOf(s, 50), 3)} p90 ${f(pctOf(s, 90), 3)} p99 ${f(pctOf(s, 99), 3)}${extra}`);
    }
    if (!skipPortkey) {
      const tg = pctOf(samples.tollgate[key], 50) - pctOf(samples.direct[key], 50);
      const pk = pctOf(samples.portkey[key], 50) - pctOf(samples.direct[key], 50);
      console.log(`added ratio (Portkey / Tollgate, p50): ${ratio(pk, tg)}`);
    }
  }
  return pctOf(samples.tollgate.first, 50) - pctOf(samples.direct.first, 50);
}

/** Portkey's added latency over Tollgate's; Tollgate at or below the direct baseline has no meaningful ratio. */
function ratio(portkeyAdded: number, tollgateAdded: number): string {
  return tollgateAdded > 0 ? `${f(portkeyAdded / tollgateAdded, 1)}x` : 'n/a (Tollgate at or below direct)';
}

/** One of the issue's targets, as measured in this run. */
interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

function printVerdicts(verdicts: Verdict[]): void {
  console.log('\n== targets');
  for (const v of verdicts) console.log(`${v.met ? 'met    ' : 'NOT met'}  ${v.target.padEnd(68)} ${v.measured}`);
}

/** Starts measuring a process's CPU; the returned function gives it per request, whole [main thread], and by thread. */
function startMeter(pid: number): (requests: number) => { cell: string; threads: string } {
  const before = sampleCpu(pid);
  const threadsBefore = sampleThreads(pid);
  return (requests) => {
    const used = cpuSince(pid, before);
    const per = (us: number) => f(us / requests, 0);
    return { cell: `${per(used.process)} [${per(used.mainThread)}]`, threads: threadsSince(pid, threadsBefore).map(([name, us]) => `${name} ${per(us)}`).join(', ') };
  };
}

/**
 * CPU each serving process spends per request (user + system, from /proc), under a steady wrk load. Unlike latency
 * this hardly moves with machine load, so it is the figure to compare between changes. Returns Tollgate's errors.
 */
async function printCpu(targets: Target[], plain: string, streamed: string): Promise<number> {
  console.log(`\n== CPU per request (µs, user + system of the serving process, and of Tollgate's collector when it runs apart; main thread in brackets), wrk ${cpuConnections} connections × ${cpuSeconds}s`);
  let errors = 0;
  const breakdown: string[] = [];
  for (const [mode, body] of [['non-streaming', plain], ['streaming', streamed]] as const) {
    const cells: string[] = [];
    for (const t of targets) {
      await wrk(t, body, cpuConnections, 1); // warm-up
      await t.settle?.();
      const serving = startMeter(t.pid);
      const helper = t.helperPid ? startMeter(t.helperPid) : undefined;
      const result = await wrk(t, body, cpuConnections, cpuSeconds);
      await t.settle?.();
      const used = serving(result.requests);
      let cell = `${t.name} ${used.cell}`;
      if (t.name === 'tollgate') {
        errors += result.errors;
        breakdown.push(`tollgate ${mode} by thread (µs per request): ${used.threads}`);
      }
      if (helper) {
        const helperUsed = helper(result.requests);
        cell += ` + collector ${helperUsed.cell}`;
        breakdown.push(`collector ${mode} by thread (µs per request): ${helperUsed.threads}`);
      }
      cells.push(cell);
    }
    console.log(`${mode.padEnd(13)} | ${cells.join(' | ')}`);
  }
  for (const line of breakdown) console.log(line);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`load average during the run: ${load}`);
  return errors;
}

/** What the bench needs beyond the project's own install, named with the command that provides it. */
function assertPrerequisites(): void {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed: apt-get install -y wrk');
  const portkey = join(root, 'bench', 'proxy', 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (!skipPortkey && !existsSync(portkey)) throw new Error('the Portkey gateway is not installed: (cd bench/proxy && npm install), or set BENCH_SKIP_PORTKEY=1');
}

async function main() {
  assertPrerequisites();
  const { child: mockChild, message: mock } = await forkChild('mock-upstream.process.js');
  const { child: bareChild, message: bare } = await forkChild('bare-passthrough.process.js', [mock.url]);
  const { child: tollgateChild, message: tollgate } = await forkChild('tollgate.process.js', [mock.url]);
  /** Sends the Tollgate process a message and resolves with its reply (`flush` → `flushed`, `count` → the count). */
  const askTollgate = <T>(type: 'flush' | 'count'): Promise<T> => {
    tollgateChild.send({ type });
    return new Promise<T>((resolve) => tollgateChild.once('message', (reply) => resolve(reply as T)));
  };
  const portkeyPort = 18787 + Math.floor(Math.random() * 1000);
  const portkeyPid = skipPortkey ? 0 : await startPortkey(portkeyPort);

  const targets: Target[] = [
    { name: 'direct', url: `${mock.url}/v1/chat/completions`, headers: { Authorization: 'Bearer sk-bench' }, pid: mockChild.pid! },
    { name: 'bare', url: `${bare.url}/v1/chat/completions`, headers: { Authorization: 'Bearer sk-bench' }, pid: bareChild.pid! },
    {
      name: 'tollgate',
      url: `${tollgate.url}/v1/chat/completions`,
      headers: { Authorization: `Bearer ${tollgate.key}`, 'x-tollgate-customer': 'bench-customer' },
      pid: tollgate.pid,
      helperPid: tollgate.collectorPid,
      settle: async () => {
        await askTollgate('flush');
      },
    },
  ];
  if (!skipPortkey) {
    targets.push({
      name: 'portkey',
      url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
      headers: { Authorization: 'Bearer sk-bench', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${mock.url}/v1` },
      pid: portkeyPid,
    });
  }
  const plain = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}]}';
  const streamed = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"stream":true}';

  // The isolated one-connection row needs two vCPUs, taskset, and a collector in a process of its own.
  const canIsolate = isolateWanted && connections.includes(1) && availableParallelism() >= 2 && !!tollgate.collectorPid && !spawnSync('taskset', ['--version']).error;
  const points = connections.flatMap((conns) => (conns === 1 && canIsolate ? [{ conns, iso: false }, { conns, iso: true }] : [{ conns, iso: false }]));
  console.log(`proxy bench: wrk ${duration}s per point, ${runs} run(s) each (median), connections ${connections.join(', ')}; mock upstream ${mock.url}\n`);
  if (canIsolate) console.log('"1 iso": one connection again, wrk, targets and mock on vCPU 0 and Tollgate\'s collector on vCPU 1 (as deployed: its own cores)\n');
  let errorsSeen = 0;
  const verdicts: Verdict[] = [];
  for (const [mode, body] of cpuOnly ? [] : ([['non-streaming', plain], ['streaming', streamed]] as const)) {
    for (const t of targets) await wrk(t, body, 10, 1); // warm-up: JIT, pools
    console.log(`== ${mode} (latency ms; added = target − direct; ratio = Portkey added / Tollgate added)`);
    console.log('conns | direct p50/p90/p99   rps    | bare node added p50/p90/p99 rps | tollgate added p50/p90/p99   rps    | portkey added p50/p90/p99   rps    | ratio p50  p99 | rps tollgate/portkey');
    for (const { conns, iso } of points) {
      const results: Record<string, WrkResult[]> = {};
      const measure = async (cpu?: string) => {
        for (let r = 0; r < runs; r++) {
          for (const t of targets) {
            const result = await wrk(t, body, conns, duration, cpu);
            errorsSeen += t.name === 'tollgate' ? result.errors : 0;
            (results[t.name] ??= []).push(result);
          }
        }
      };
      await (iso ? isolated(targets, mockChild.pid!, measure) : measure());
      const m = (name: string, k: keyof WrkResult) => median(results[name]?.map((x) => x[k]) ?? [NaN]);
      const added = (name: string, k: 'p50' | 'p90' | 'p99') => m(name, k) - m('direct', k);
      const label = `${mode}, ${iso ? `${conns} conn iso` : `${conns} conn${conns > 1 ? 's' : ''}`}`;
      if (mode === 'non-streaming' && conns === 1) {
        verdicts.push({ target: `added p50 <= 0.3 ms (${label})`, measured: `${f(added('tollgate', 'p50'), 3)} ms`, met: added('tollgate', 'p50') <= 0.3 });
        verdicts.push({ target: `added p99 <= 1.5 ms (${label})`, measured: `${f(added('tollgate', 'p99'), 3)} ms`, met: added('tollgate', 'p99') <= 1.5 });
      }
      if (mode === 'non-streaming' && conns === 50) verdicts.push({ target: `>= 5,000 requests/s (${label})`, measured: `${f(m('tollgate', 'rps'), 0)} rps`, met: m('tollgate', 'rps') >= 5000 });
      if (!skipPortkey) {
        const pk = added('portkey', 'p50');
        const tg = added('tollgate', 'p50');
        verdicts.push({ target: `>= 5x lower added p50 than Portkey (${label})`, measured: ratio(pk, tg), met: tg <= 0 || pk / tg >= 5 });
      }
      const line = [
        (iso ? `${conns} iso` : String(conns)).padStart(5),
        `${f(m('direct', 'p50'))}/${f(m('direct', 'p90'))}/${f(m('direct', 'p99'))} ${f(m('direct', 'rps'), 0).padStart(7)}`,
        `${f(added('bare', 'p50'), 3)}/${f(added('bare', 'p90'), 3)}/${f(added('bare', 'p99'), 3)} ${f(m('bare', 'rps'), 0).padStart(7)}`,
        `${f(added('tollgate', 'p50'), 3)}/${f(added('tollgate', 'p90'), 3)}/${f(added('tollgate', 'p99'), 3)} ${f(m('tollgate', 'rps'), 0).padStart(7)}`,
        skipPortkey ? 'skipped' : `${f(added('portkey', 'p50'), 3)}/${f(added('portkey', 'p90'), 3)}/${f(added('portkey', 'p99'), 3)} ${f(m('portkey', 'rps'), 0).padStart(7)}`,
        skipPortkey ? '' : `${ratio(added('portkey', 'p50'), added('tollgate', 'p50'))} ${ratio(added('portkey', 'p99'), added('tollgate', 'p99'))}`,
        skipPortkey ? '' : `${f(m('tollgate', 'rps') / m('portkey', 'rps'), 1)}x`,
      ];
      console.log(line.join(' | '));
    }
    console.log('');
  }

  if (!cpuOnly) {
    const firstByte = await printStreamProbe(targets, streamed);
    verdicts.push({ target: 'added time to first byte <= 1 ms (streaming, sequential probe, p50)', measured: `${f(firstByte, 3)} ms`, met: firstByte <= 1 });
  }
  errorsSeen += await printCpu(targets, plain, streamed);

  const count = await askTollgate<any>('count');
  console.log(`\n== Tollgate ran as: ${count.mode}`);
  const lost = count.recorded - count.ids;
  console.log(`== telemetry: proxy answered ${count.answered} requests, recorded ${count.recorded} events; ClickHouse rows ${count.rows} (distinct request ids ${count.ids}); lost ${lost}; wrk-seen errors via Tollgate ${errorsSeen}`);
  console.log(`   embedded ClickHouse over the run: ${JSON.stringify(count.clickhouse)}`);
  console.log(`   proxy process GC over the run: ${JSON.stringify(count.gc)}`);
  console.log(`   proxy process event-loop delay over the run (ms): p50 ${count.loop.p50} p99 ${count.loop.p99} max ${count.loop.max}`);
  verdicts.push({ target: 'zero telemetry events lost (answered = distinct rows stored)', measured: `${count.answered} answered, ${count.ids} stored`, met: lost === 0 && count.recorded === count.answered });
  if (!cpuOnly) printVerdicts(verdicts);
  tollgateChild.send({ type: 'stop' });
  await new Promise((resolve) => tollgateChild.once('exit', resolve));
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  });
