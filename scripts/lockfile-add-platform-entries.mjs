// The npm registry this project installs from lacks some other platforms' prebuilt optional packages (e.g.
// @chdb/lib-darwin-arm64). npm then writes no lockfile entry for them, and `npm ci` refuses the lockfile
// ("Missing: … from lock file") even on Linux, where they would be skipped anyway. This adds the entries a lockfile
// made against the full registry would have: the version the parent asks for and the platform it is for, so
// `npm ci` validates and then skips them by os/cpu without downloading. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const platform = (name) => {
  const m = /-(darwin|linux|win32|freebsd|android)-(arm64|x64|arm|ia32)(?:-(gnu|musl))?$/.exec(name);
  return m ? { os: [m[1]], cpu: [m[2]], ...(m[3] ? { libc: [m[3] === 'gnu' ? 'glibc' : 'musl'] } : {}) } : undefined;
};

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path === '' ? '' : `${path}/`;
    const candidates = [`${base}node_modules/${dep}`, `node_modules/${dep}`];
    if (candidates.some((c) => lock.packages[c])) continue;
    const target = platform(dep);
    if (!target || !/^\d+\.\d+\.\d+/.test(version)) continue;
    lock.packages[`node_modules/${dep}`] = { version, ...target, optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} platform entries to package-lock.json`);
