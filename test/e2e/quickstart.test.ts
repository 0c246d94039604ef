import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Decimal from 'decimal.js';
import { parse } from 'csv-parse/sync';
import { projectRoot } from '@tollgate/storage';
import { tempDir } from '../support/test-env';
import { FakeOpenAiServer } from '../support/fake-llm-openai.server';

/**
 * README.md's Quickstart, run as written: its `sh` and `js` blocks are read from the README (so the doc and this
 * test cannot drift) and run in order against `npm start`, the sh blocks typed into one bash session as a reader
 * would, the js block run by node with that session's exported variables. Two things are translated, mechanically: the `npm start &` line is started
 * by the test (free ports, a temp data dir) and API/PROXY then point at the URLs it printed; and OpenAI's base URL is
 * replaced by a local server speaking OpenAI's wire format.
 */
const root = projectRoot();
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

interface Block {
  lang: 'sh' | 'js';
  code: string;
}

function quickstartBlocks(): Block[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quickstart\n');
  assert.ok(start >= 0, 'README.md has a Quickstart section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(sh|js)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] as Block['lang'], code: m[2] }));
}

/**
 * One terminal: a single `bash` that the sh blocks are typed into in turn (so their variables carry over as they do
 * for a reader), stopping at the first failing command. Programs the reader starts (node) get its exported variables.
 */
class ShellSession {
  private readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';
  private exited?: number | null;
  private count = 0;

  constructor(env: Record<string, string>, private readonly scratch: string) {
    this.child = spawn('bash', ['--noprofile', '--norc'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.child.once('exit', (code) => (this.exited = code));
    this.child.stdin!.write('set -euo pipefail\n');
  }

  /** Types `code` in and resolves with what it printed; rejects when a command fails (the shell exits). */
  run(code: string): Promise<string> {
    const marker = `__quickstart_block_${++this.count}_done__`;
    const from = this.stdout.length;
    const errorsFrom = this.stderr.length;
    return new Promise((resolve, reject) => {
      const check = () => {
        const at = this.stdout.indexOf(`${marker}\n`, from);
        if (at >= 0) {
          this.child.stdout!.off('data', check);
          this.child.off('exit', failed);
          resolve(this.stdout.slice(from, at));
        }
      };
      const failed = () => reject(new Error(`the block failed:\n${code}\nstdout: ${this.stdout.slice(from)}\nstderr: ${this.stderr.slice(errorsFrom)}`));
      if (this.exited !== undefined) return failed();
      this.child.stdout!.on('data', check);
      this.child.once('exit', failed);
      this.child.stdin!.write(`${code}\necho ${marker}\n`);
    });
  }

  /** The variables the shell exports, as a program started from it sees them. */
  async exported(): Promise<Record<string, string>> {
    const file = join(this.scratch, 'exported.env');
    await this.run(`env -0 > '${file}'`);
    return Object.fromEntries(
      readFileSync(file, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  }

  async close(): Promise<void> {
    if (this.exited !== undefined) return;
    const exited = once(this.child, 'exit');
    this.child.stdin!.end('exit 0\n');
    await exited;
  }
}

/** Runs a js block as `node hello.mjs` would, from the repository (where `openai` is installed), with `env`. */
async function runNode(code: string, env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const [status] = await once(child, 'exit');
  assert.equal(status, 0, `the block failed:\n${code}\nstdout: ${stdout}\nstderr: ${stderr}`);
  return stdout;
}

/** Resolves with the printed URLs once `npm start` says it is running; rejects if it exits first. */
function urlsWhenRunning(child: ChildProcess, output: { stdout: string; stderr: string }): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (!output.stdout.includes('Tollgate is running')) return;
      const block = output.stdout.slice(output.stdout.indexOf('Tollgate is running'));
      const urls = Object.fromEntries([...block.matchAll(/^\s+(api|proxy|worker)\s+(http:\/\/\S+)/gm)].map((m) => [m[1], m[2]]));
      if (Object.keys(urls).length === 3) {
        child.stdout!.off('data', onData);
        resolve(urls);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before it was ready:\n${output.stderr}`)));
  });
}

/** Sums of a FOCUS file's costs per provider, billing account, service and currency, exactly: what the ledger must report back. */
function focusTotals(path: string): { group: Record<string, string>; currency: string; billed_cost: string; effective_cost: string; rows: number }[] {
  const rows = parse(readFileSync(path), { columns: true, bom: true }) as Record<string, string>[];
  const byGroup = new Map<string, { group: Record<string, string>; currency: string; rows: number; billed: Decimal; effective: Decimal }>();
  for (const r of rows) {
    const group = { provider: r.ProviderName, billing_account: r.BillingAccountId, service: r.ServiceName };
    const key = JSON.stringify([group, r.BillingCurrency]);
    const t = byGroup.get(key) ?? { group, currency: r.BillingCurrency, rows: 0, billed: new Decimal(0), effective: new Decimal(0) };
    byGroup.set(key, { ...t, rows: t.rows + 1, billed: t.billed.plus(r.BilledCost || 0), effective: t.effective.plus(r.EffectiveCost || 0) });
  }
  return [...byGroup.values()]
    .map((t) => ({ group: t.group, currency: t.currency, billed_cost: t.billed.toFixed(), effective_cost: t.effective.toFixed(), rows: t.rows }))
    .sort((x, y) => JSON.stringify([x.group, x.currency]).localeCompare(JSON.stringify([y.group, y.currency])));
}

describe("README.md's Quickstart, run in order against `npm start`", () => {
  const dataDir = tempDir('tollgate-quickstart-');
  const openai = new FakeOpenAiServer();
  const blocks = quickstartBlocks();
  let tollgate: ChildProcess | undefined;
  const output = { stdout: '', stderr: '' };
  // The reader's terminal: a plain environment with the OpenAI key the README asks for.
  const shell = new ShellSession({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, OPENAI_API_KEY: 'sk-quickstart-upstream' }, dataDir);

  before(async () => {
    await openai.start();
    assert.deepEqual(
      blocks.map((b) => b.lang),
      ['sh', 'sh', 'sh', 'js', 'sh', 'sh'],
      'the Quickstart has six steps: start, provider, key, SDK request, usage, billing (update this test with the README)',
    );
    for (const block of blocks) block.code = block.code.replaceAll(OPENAI_BASE_URL, `${openai.url}/v1`);
    assert.ok(blocks[1].code.includes(`${openai.url}/v1`), `step 2 names ${OPENAI_BASE_URL}`);
  });

  after(async () => {
    await shell.close();
    if (tollgate && tollgate.exitCode === null) {
      const exited = once(tollgate, 'exit');
      tollgate.kill('SIGTERM');
      await exited;
    }
    await openai.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('1. starts Tollgate with the admin token the block chose', async () => {
    const lines = blocks[0].code.split('\n');
    assert.ok(lines.includes('npm start &'), 'step 1 starts `npm start &`');
    await shell.run(lines.filter((l) => l !== 'npm start &').join('\n'));
    const env = await shell.exported();
    assert.match(env.TOLLGATE_ADMIN_TOKEN, /^[0-9a-f]{64}$/);
    assert.deepEqual([env.API, env.PROXY], ['http://127.0.0.1:4000', 'http://127.0.0.1:4001'], 'the default URLs');
    // --ignore-scripts skips prestart's rebuild, which other test files are reading.
    tollgate = spawn('npm', ['start', '--ignore-scripts'], {
      cwd: root,
      env: { PATH: env.PATH, HOME: env.HOME, TOLLGATE_DATA_DIR: dataDir, API_PORT: '0', PROXY_PORT: '0', WORKER_PORT: '0', TOLLGATE_ADMIN_TOKEN: env.TOLLGATE_ADMIN_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    tollgate.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    tollgate.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const urls = await urlsWhenRunning(tollgate, output);
    // The reader's API and PROXY are the URLs npm start printed (here on free ports).
    await shell.run(`API=${urls.api} PROXY=${urls.proxy}`);
  });

  it('2. adds the provider and deploys gpt-4o-mini on it', async () => {
    const stdout = await shell.run(blocks[1].code);
    assert.deepEqual(JSON.parse(stdout), { model: 'gpt-4o-mini', upstream_model: 'gpt-4o-mini' });
    assert.match(await shell.run('echo "$PROVIDER_ID"'), /^[0-9a-f-]{36}\n$/);
  });

  it('3. issues a virtual key', async () => {
    await shell.run(blocks[2].code);
    assert.match((await shell.exported()).TOLLGATE_KEY, /^tg-/);
  });

  it('4. sends a request through the proxy with the openai SDK (only baseURL and apiKey changed) and reads its cost', async () => {
    const stdout = await runNode(blocks[3].code, await shell.exported());
    const [content, costLine] = stdout.trim().split('\n');
    assert.equal(content, 'Hello from fake OpenAI');
    // 8 uncached + 4 cached input tokens and 5 output tokens at gpt-4o-mini's catalog price.
    assert.match(costLine, /^cost \(USD\): 0\.0000045 request id: \S+$/);
    const upstream = openai.requests.at(-1)!;
    assert.equal(upstream.headers.authorization, 'Bearer sk-quickstart-upstream', 'the stored provider key, not the virtual key');
    assert.equal(upstream.path, '/v1/chat/completions');
  });

  it('5. reads the cost by feature and customer', async () => {
    // The proxy's telemetry reaches ClickHouse asynchronously (its spool delivers on an interval): re-run the
    // README's own query until the row is there.
    let stdout = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      stdout = await shell.run(blocks[4].code);
      if (stdout.trim()) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.deepEqual(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
      [{ group: { feature: 'search', customer: 'acme' }, requests: 1, estimated_cost: '0.000004500000' }],
    );
  });

  it('6. uploads a FOCUS export and reads the ledger back per provider, account and service, exact to the cent and beyond', async () => {
    const stdout = await shell.run(blocks[5].code);
    const [upload, ...costs] = stdout.trim().split('\n').map((line) => JSON.parse(line));
    const expected = focusTotals(join(root, 'test/fixtures/billing/focus-1.2-ai-lines.csv'));
    assert.deepEqual(upload, { status: 'succeeded', rows: expected.reduce((n, t) => n + t.rows, 0) });
    const exact = (c: { group: Record<string, string>; currency: string; billed_cost: string; effective_cost: string }) => ({
      group: c.group,
      currency: c.currency,
      billed_cost: new Decimal(c.billed_cost).toFixed(),
      effective_cost: new Decimal(c.effective_cost).toFixed(),
    });
    const byKey = (x: { group: Record<string, string>; currency: string }, y: { group: Record<string, string>; currency: string }) =>
      JSON.stringify([x.group, x.currency]).localeCompare(JSON.stringify([y.group, y.currency]));
    assert.deepEqual(costs.map(exact).sort(byKey), expected.map(exact));
  });
});
