// `npm test`: typecheck + build, the module-boundary check, then every unit (*.spec) and integration/e2e
// (test/**/*.test) file under node's test runner. Ends with the runner's summary and `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root }).status ?? 1;

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

const tapFile = join(mkdtempSync(join(tmpdir(), 'tollgate-test-')), 'results.tap');
const status = run([
  '--test',
  '--test-concurrency=2',
  '--test-timeout=300000',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${tapFile}`,
  ...files,
]);
const tap = readFileSync(tapFile, 'utf8');
const count = (label) => Number((tap.match(new RegExp(`^# ${label} (\\d+)$`, 'm')) ?? [0, '0'])[1]);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
console.log(`${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 && passed > 0 ? 0 : 1);
