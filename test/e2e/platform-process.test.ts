import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { projectRoot } from '@tollgate/storage';
import { tempDir } from '../support/test-env';

const root = projectRoot();
const entry = (app: string) => join(root, 'dist', 'apps', app, 'src', 'main.js');

/** Starts an entry point with exactly `env` (plus PATH), collecting its output. */
function start(app: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [entry(app)], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return { child, output };
}

/** Resolves with the printed URLs once the process says it is running; rejects if it exits first. */
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
    child.once('exit', (code) => reject(new Error(`exited with ${code} before it was ready:\n${output.stderr}`)));
  });
}

describe('the npm start entry point (all-in-one process)', () => {
  const dataDir = tempDir('tollgate-start-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('boots on the embedded stores with no store configured, is ready, and drains on SIGTERM with exit 0', async () => {
    const { child, output } = start('platform', { TOLLGATE_DATA_DIR: dataDir, API_PORT: '0', PROXY_PORT: '0', WORKER_PORT: '0' });
    const urls = await urlsWhenRunning(child, output);
    for (const url of Object.values(urls)) {
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
    }
    // First start: the banner names the admin token file and prints a one-time login link that logs in once.
    assert.ok(output.stdout.includes(`Admin API token (Authorization: Bearer …) in ${join(dataDir, 'admin-token')}`), output.stdout);
    const link = new RegExp(`log in as admin@localhost with this one-time link \\(valid 24 h\\):\\s+(${urls.api}/v1/auth/login-link\\?token=\\S+)`).exec(output.stdout)?.[1];
    assert.ok(link, output.stdout);
    assert.equal((await fetch(link, { redirect: 'manual' })).status, 303);
    assert.equal((await fetch(link, { redirect: 'manual' })).status, 401);
    assert.doesNotMatch(output.stdout.slice(0, output.stdout.indexOf('Tollgate is running')), /tgl_/, 'the link is in no log line');
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, output.stderr);
    assert.match(output.stdout, /"msg":"shutdown complete"/);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops completely on ${signal} to the \`npm start\` process (node under npm included): ports freed, shutdown logged`, async () => {
      // npm runs the script through `sh -c`, which would not pass the signal on; the script execs node so npm's
      // forwarded signal reaches it. --ignore-scripts skips prestart's rebuild, which other test files are reading.
      const child = spawn('npm', ['start', '--ignore-scripts'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, TOLLGATE_DATA_DIR: dataDir, API_PORT: '0', PROXY_PORT: '0', WORKER_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = { stdout: '', stderr: '' };
      child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
      const urls = await urlsWhenRunning(child, output);
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
      assert.match(output.stdout, new RegExp(`"msg":"shutdown complete","reason":"${signal}"`), output.stderr);
      for (const [app, url] of Object.entries(urls)) {
        await assert.rejects(fetch(`${url}/healthz`), (error: Error & { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED', `${app} still answers at ${url}`);
      }
    });
  }

  it('refuses a bad variable with one clear line naming it', async () => {
    const { child, output } = start('platform', { TOLLGATE_DATA_DIR: dataDir, API_PORT: 'eighty', DATABASE_URL: 'mysql://db' });
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(output.stderr, /^tollgate: Invalid configuration — /);
    assert.match(output.stderr, /DATABASE_URL: must be a URL starting with postgres:\/\//);
    assert.match(output.stderr, /API_PORT/);
  });

  it('runs a single app as its own process only against real servers', async () => {
    const { child, output } = start('api', { TOLLGATE_DATA_DIR: dataDir });
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(output.stderr, /DATABASE_URL and CLICKHOUSE_URL must be set/);
  });
});
