// Module boundaries, checked on every `npm test`:
// - libs depend downward only: a lib may import only libs of a strictly lower layer (LAYERS below);
// - libs never import apps; apps never import apps (the all-in-one launcher may import each app's index.ts);
// - a lib is imported through `@tollgate/<lib>` only, never by a relative path into its folder;
// - `process.env` is read only by the apps' entry points and scripts (which pass it to loadConfig).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// An explicit root argument lets the boundary test run the check on a fixture tree.
const root = process.argv[2] ? resolve(process.argv[2]) : join(dirname(fileURLToPath(import.meta.url)), '..');

export const LAYERS = {
  core: 0,
  storage: 1,
  runtime: 2,
  audit: 2,
  auth: 3,
  pricing: 3,
  telemetry: 4,
  billing: 4,
  providers: 4,
  routing: 5,
  gateway: 5,
};

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const problems = [];
const importRe = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

const libs = readdirSync(join(root, 'libs')).filter((d) => statSync(join(root, 'libs', d)).isDirectory());
for (const lib of libs) {
  if (!(lib in LAYERS)) problems.push(`libs/${lib}: not in the layer map of scripts/check-boundaries.mjs; give it a layer`);
}

for (const file of [...walk(join(root, 'libs')), ...walk(join(root, 'apps'))]) {
  const rel = relative(root, file).split(sep).join('/');
  const [area, owner] = rel.split('/');
  const source = readFileSync(file, 'utf8');
  const isSpec = rel.endsWith('.spec.ts');
  if (!isSpec && /process\.env\b/.test(source)) {
    const allowed = (area === 'apps' && rel.endsWith('/src/main.ts')) || rel.startsWith('libs/core/src/config/');
    if (!allowed) problems.push(`${rel}: reads process.env; only loadConfig's callers (apps/*/src/main.ts) may`);
  }
  for (const match of source.matchAll(importRe)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec.startsWith('@tollgate/')) {
      const target = spec.slice('@tollgate/'.length).split('/')[0];
      if (spec !== `@tollgate/${target}`) problems.push(`${rel}: imports ${spec}; use the lib's public index '@tollgate/${target}'`);
      if (area === 'libs') {
        if (target === owner) problems.push(`${rel}: imports its own lib through '@tollgate/${target}'; use a relative path`);
        else if (!(target in LAYERS) || LAYERS[target] >= (LAYERS[owner] ?? -1))
          problems.push(`${rel}: libs/${owner} (layer ${LAYERS[owner]}) may not depend on libs/${target} (layer ${LAYERS[target]})`);
      }
      continue;
    }
    if (!spec.startsWith('.')) continue;
    const targetRel = relative(root, resolve(dirname(file), spec)).split(sep).join('/');
    const [tArea, tOwner] = targetRel.split('/');
    if (tArea === owner && area === tArea) continue;
    if (tArea === area && tOwner === owner) continue;
    if (tArea === 'apps' && area === 'libs') problems.push(`${rel}: a lib may not import an app (${spec})`);
    else if (tArea === 'apps' && area === 'apps') {
      const launcherImportsIndex = owner === 'platform' && targetRel === `apps/${tOwner}/src`;
      if (!launcherImportsIndex) problems.push(`${rel}: apps may not import other apps (${spec})`);
    } else if (tArea === 'libs') problems.push(`${rel}: reaches into libs/${tOwner} by path (${spec}); import '@tollgate/${tOwner}'`);
  }
}

if (problems.length) {
  console.error(`Boundary check failed (${problems.length}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`boundary check: ${libs.length} libs, apps and libs clean`);
