// `npm run bench`: runs every compiled `*.bench.js` under dist/bench/<dir>/, each in its own process (chDB binds one
// data directory per process, and one bench must not warm another's caches), one after the other. Benches print
// their own figures and ratios; this runner only reports which ran and which failed. Pass dir names to run a subset.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const benchRoot = __dirname;
const only = process.argv.slice(2);
const files: string[] = [];
for (const dir of readdirSync(benchRoot).sort()) {
  const path = join(benchRoot, dir);
  if (dir === 'node_modules' || !statSync(path).isDirectory()) continue;
  if (only.length && !only.includes(dir)) continue;
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (name === 'node_modules') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.bench.js')) files.push(p);
    }
  };
  if (existsSync(path)) walk(path);
}

const results: { file: string; status: number; seconds: number }[] = [];
for (const file of files) {
  const rel = file.slice(benchRoot.length + 1);
  process.stdout.write(`\n=== bench ${rel} ===\n`);
  const started = Date.now();
  const run = spawnSync(process.execPath, [file], { stdio: 'inherit', cwd: join(benchRoot, '..', '..') });
  results.push({ file: rel, status: run.status ?? 1, seconds: (Date.now() - started) / 1000 });
}
process.stdout.write('\n=== bench summary ===\n');
for (const r of results) process.stdout.write(`${r.status === 0 ? 'ok  ' : 'FAIL'} ${r.file} (${r.seconds.toFixed(1)} s)\n`);
if (files.length === 0) process.stdout.write('no *.bench.ts found under bench/\n');
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
