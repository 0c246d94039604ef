import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository (or image) root: the nearest directory above this file holding `migrations/`. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'migrations', 'clickhouse'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the migrations/ directory above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** Compiled output root (dist/), where the TypeORM migration classes live as .js. */
export function compiledRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'migrations', 'postgres')) || !dir.endsWith('dist')) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the compiled migrations above ${__dirname}; run npm run build`);
    dir = parent;
  }
  return dir;
}
