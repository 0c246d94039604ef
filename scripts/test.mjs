// `npm test`: typecheck + build, the module-boundary check, then every unit (*.spec) and integration/e2e
// (test/**/*.test) file under node's test runner. Ends with the runner's summary and `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args, env = process.env) => spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env }).status ?? 1;

if (run([join(root, 'scripts', 'build.mjs')]) !== 0) {
  console.log('typecheck failed\n0 passed, 1 failed');
  process.exit(1);
}
if (run([join(root, 'scripts', 'check-boundaries.mjs')]) !== 0) {
  console.log('boundary check failed\n0 passed, 1 failed');
  process.exit(1);
}

function collect(dir, match, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, match, out);
    else if (match(name)) out.push(relative(root, path));
  }
  return out;
}
const dist = join(root, 'dist');
const filter = process.argv.slice(2);
const files = [
  ...['apps', 'libs'].flatMap((d) => collect(join(dist, d), (n) => n.endsWith('.spec.js'))),
  ...collect(join(dist, 'test'), (n) => n.endsWith('.test.js')),
]
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();

// Every temp dir the tests (and the processes they start) make lands in one folder per run, removed at the end.
const runTmp = mkdtempSync(join(tmpdir(), 'tollgate-test-run-'));
const tapFile = join(runTmp, 'results.tap');
// The code under test logs to test-output/logs/<file>.log (test/support/quiet-logs.ts); the report is specs only.
rmSync(join(root, 'test-output', 'logs'), { recursive: true, force: true });
const status = run(
  [
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    '--no-warnings',
    '--require',
    join(dist, 'test', 'support', 'quiet-logs.js'),
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { ...process.env, TMPDIR: runTmp },
);
const tap = readFileSync(tapFile, 'utf8');
rmSync(runTmp, { recursive: true, force: true });
const count = (label) => Number((tap.match(new RegExp(`^# ${label} (\\d+)$`, 'm')) ?? [0, '0'])[1]);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
if (process.env.TOLLGATE_TEST_LOGS !== 'inline') console.log('logs of the code under test: test-output/logs/ (TOLLGATE_TEST_LOGS=inline npm test shows them here)');
console.log(`${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 && passed > 0 ? 0 : 1);
