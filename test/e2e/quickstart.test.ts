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
 * test cannot drift) and run in order, each in a fresh `bash` (or `node`) that inherits the variables the blocks
 * before it set, against `npm start`. Two things are translated, mechanically: the `npm start &` line is started
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

interface Ran {
  stdout: string;
  env: Record<string, string>;
}

/** Runs one block with `env`; a shell block's variables (all exported by `set -a`) come back as the next env. */
async function run(block: Block, env: Record<string, string>, stateFile: string): Promise<Ran> {
  const child =
    block.lang === 'sh'
      ? spawn('bash', ['-euo', 'pipefail', '-c', `set -a\n${block.code}\nenv -0 > '${stateFile}'\n`], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, ['--input-type=module', '-e', block.code], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, `the block failed:\n${block.code}\nstdout: ${stdout}\nstderr: ${stderr}`);
  if (block.lang === 'js') return { stdout, env };
  const next = Object.fromEntries(
    readFileSync(stateFile, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { stdout, env: next };
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

/** Sums of a FOCUS file's costs per billing period and currency, exactly: what the ledger must report back. */
function focusTotals(path: string): { period: string; currency: string; rows: number; billedCost: string; effectiveCost: string }[] {
  const rows = parse(readFileSync(path), { columns: true, bom: true }) as Record<string, string>[];
  const byPeriod = new Map<string, { rows: number; billed: Decimal; effective: Decimal }>();
  for (const r of rows) {
    const key = `${r.BillingPeriodStart.slice(0, 10)}|${r.BillingCurrency}`;
    const t = byPeriod.get(key) ?? { rows: 0, billed: new Decimal(0), effective: new Decimal(0) };
    byPeriod.set(key, { rows: t.rows + 1, billed: t.billed.plus(r.BilledCost || 0), effective: t.effective.plus(r.EffectiveCost || 0) });
  }
  return [...byPeriod]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, t]) => ({ period: key.split('|')[0], currency: key.split('|')[1], rows: t.rows, billedCost: t.billed.toFixed(), effectiveCost: t.effective.toFixed() }));
}

describe("README.md's Quickstart, run in order against `npm start`", () => {
  const dataDir = tempDir('tollgate-quickstart-');
  const stateFile = join(dataDir, 'quickstart.env');
  const openai = new FakeOpenAiServer();
  const blocks = quickstartBlocks();
  let tollgate: ChildProcess | undefined;
  const output = { stdout: '', stderr: '' };
  // What every block inherits: a plain environment and the OpenAI key the README asks the reader for.
  let env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, OPENAI_API_KEY: 'sk-quickstart-upstream' };

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
    ({ env } = await run({ lang: 'sh', code: lines.filter((l) => l !== 'npm start &').join('\n') }, env, stateFile));
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
    env = { ...env, API: urls.api, PROXY: urls.proxy };
  });

  it('2. adds the provider and deploys gpt-4o-mini on it', async () => {
    const ran = await run(blocks[1], env, stateFile);
    env = ran.env;
    assert.match(env.PROVIDER_ID, /^[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(ran.stdout), { model: 'gpt-4o-mini', upstream_model: 'gpt-4o-mini' });
  });

  it('3. issues a virtual key', async () => {
    ({ env } = await run(blocks[2], env, stateFile));
    assert.match(env.TOLLGATE_KEY, /^tg-/);
  });

  it('4. sends a request through the proxy with the openai SDK (only baseURL and apiKey changed) and reads its cost', async () => {
    const { stdout } = await run(blocks[3], env, stateFile);
    const [content, costLine] = stdout.trim().split('\n');
    assert.equal(content, 'Hello from fake OpenAI');
    // 8 uncached + 4 cached input tokens and 5 output tokens at gpt-4o-mini's catalog price.
    assert.match(costLine, /^cost \(USD\): 0\.0000045 request id: \S+$/);
    const upstream = openai.requests.at(-1)!;
    assert.equal(upstream.headers.authorization, `Bearer ${env.OPENAI_API_KEY}`, 'the stored provider key, not the virtual key');
    assert.equal(upstream.path, '/v1/chat/completions');
  });

  it('5. reads the cost by feature and customer', async () => {
    // The proxy's telemetry reaches ClickHouse asynchronously (its spool delivers on an interval): re-run the
    // README's own query until the row is there.
    let stdout = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      ({ stdout } = await run(blocks[4], env, stateFile));
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

  it('6. uploads a FOCUS export and reads the ledger totals back, exact to the cent and beyond', async () => {
    const ran = await run(blocks[5], env, stateFile);
    const [upload, ...totals] = ran.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const expected = focusTotals(join(root, 'test/fixtures/billing/focus-1.2-ai-lines.csv'));
    assert.deepEqual(upload, { status: 'succeeded', rows: expected.reduce((n, t) => n + t.rows, 0) });
    assert.deepEqual(
      totals.map((t) => ({ ...t, billedCost: new Decimal(t.billedCost).toFixed(), effectiveCost: new Decimal(t.effectiveCost).toFixed() })),
      expected,
    );
    assert.deepEqual(totals.map((t) => `${t.period}|${t.currency}`), [...totals.map((t) => `${t.period}|${t.currency}`)].sort(), 'by period, then currency');
  });
});
