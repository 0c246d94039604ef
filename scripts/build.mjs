// Compiles the monorepo with tsc and makes each lib resolvable at run time as `@tollgate/<lib>`:
// tsc keeps import specifiers as written, so dist/node_modules/@tollgate/<lib> points at the compiled lib.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
} catch {
  process.exit(1);
}
for (const lib of readdirSync(join(root, 'libs'))) {
  if (!existsSync(join(root, 'libs', lib, 'src', 'index.ts'))) continue;
  const dir = join(root, 'dist', 'node_modules', '@tollgate', lib);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `@tollgate/${lib}`, main: `../../../libs/${lib}/src/index.js` }, null, 2) + '\n',
  );
}
