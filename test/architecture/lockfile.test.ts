import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@tollgate/storage';

type LockEntry = { version?: string; optionalDependencies?: Record<string, string> };

describe('package-lock.json', () => {
  it('lists every optional platform package, so `npm ci` accepts it on this registry', () => {
    const lock = JSON.parse(readFileSync(join(projectRoot(), 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
        const nested = `${path === '' ? '' : `${path}/`}node_modules/${dep}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${dep}`]) missing.push(`${dep} (wanted by ${path || 'the project'})`);
      }
    }
    assert.deepEqual(missing, [], 'run `node scripts/lockfile-add-platform-entries.mjs` after npm install');
  });

  it('pins the packages whose exact version matters', () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // pglite-socket depends on this exact PGlite; the price catalog must only change when we choose to.
    assert.equal(pkg.dependencies['@electric-sql/pglite'], '0.5.14');
    assert.equal(pkg.dependencies['@pydantic/genai-prices'], '0.1.8');
  });
});
