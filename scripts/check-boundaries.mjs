// Module boundaries, checked on every `npm test`:
// - libs depend downward only: a lib may import only libs of a strictly lower layer (LAYERS below);
// - libs never import apps; apps never import apps (the all-in-one launcher may import each app's index.ts);
// - a lib is imported through `@tollgate/<lib>` only, never by a relative path into its folder;
// - `process.env` is read only by the apps' entry points and scripts (which pass it to loadConfig);
// - a lib's index.ts names what it exports (no `export *`), and no Nest controller or queue processor lives in a lib
//   (transport belongs to the apps; `runtime`, the apps' shared process plumbing, keeps the health routes);
// - one owner per table: only the owning lib's files name a table (TABLE_OWNERS below), and every table a migration
//   creates has an owner.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
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

/**
 * Who owns each table: the one lib that reads and writes it through its repository; other libs call that lib's
 * service. Only files under libs/<owner>/ may name the table in code (comments aside): PostgreSQL tables as
 * `tollgate.<table>` or a TypeORM @Entity name, ClickHouse tables, views and staging tables by their bare name.
 * Apps, tests, migrations and bench are outside this rule. A table that a migration creates and this map lacks fails
 * the check, so every new table gets an owner here.
 */
export const TABLE_OWNERS = {
  postgres: {
    providers: 'providers',
    model_deployments: 'providers',
    virtual_keys: 'providers',
    api_tokens: 'auth',
    users: 'auth',
    user_sessions: 'auth',
    login_links: 'auth',
    audit_log: 'audit',
    price_overrides: 'pricing',
    price_restatements: 'pricing',
    billing_sources: 'billing',
    billing_sync_runs: 'billing',
    // No lib uses these yet: they belong to the attribution lib to come (cost per feature and per customer).
    features: 'attribution',
    customers: 'attribution',
  },
  clickhouse: {
    llm_requests: 'telemetry',
    llm_usage_hourly: 'telemetry',
    llm_usage_hourly_mv: 'telemetry',
    llm_usage_daily: 'telemetry',
    llm_usage_daily_mv: 'telemetry',
    llm_usage_daily_customer: 'telemetry',
    llm_usage_daily_customer_mv: 'telemetry',
    llm_request_ids: 'telemetry',
    llm_request_ids_mv: 'telemetry',
    billing_lines: 'billing',
    billing_lines_staging: 'billing',
    gpu_allocations: 'billing',
    gpu_allocations_staging: 'billing',
    // The migrator's own bookkeeping (created by its code, not by a migration file).
    schema_migrations: 'storage',
  },
};

/**
 * The code of a TypeScript file with its comments blanked out (newlines kept, so line numbers hold). Strings,
 * template literals (with their `${}` code) and regex literals are kept as they are: a `//` in a URL or a `/*` in a
 * glob is not a comment.
 */
export function stripComments(source) {
  let out = '';
  let prev = ''; // last significant character of code: tells a regex literal from a division
  let depth = 0; // brace depth
  const templates = []; // brace depth at each open `${`
  const n = source.length;
  let i = 0;
  const regexMayStart = () =>
    prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev) || /(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)\s*$/.test(out.slice(-24));
  while (i < n) {
    const c = source[i];
    const d = source[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && d === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
      prev = c;
      continue;
    }
    if (c === '`' || (c === '}' && templates.length && templates[templates.length - 1] === depth - 1)) {
      // Template text: from its backtick (or the `}` that closes a `${`) to its closing backtick or the next `${`.
      if (c === '}') {
        templates.pop();
        depth--;
      }
      let j = i + 1;
      while (j < n && source[j] !== '`' && !(source[j] === '$' && source[j + 1] === '{')) j += source[j] === '\\' ? 2 : 1;
      if (j < n && source[j] === '$') {
        templates.push(depth++);
        out += source.slice(i, j + 2);
        i = j + 2;
        prev = '{';
      } else {
        out += source.slice(i, j + 1);
        i = j + 1;
        prev = '`';
      }
      continue;
    }
    if (c === '/' && regexMayStart()) {
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== '\n' && (source[j] !== '/' || inClass)) {
        if (source[j] === '\\') j++;
        else if (source[j] === '[') inClass = true;
        else if (source[j] === ']') inClass = false;
        j++;
      }
      j++;
      while (j < n && /[a-z]/.test(source[j])) j++;
      out += source.slice(i, j);
      i = j;
      prev = 'a';
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    if (!/\s/.test(c)) prev = c;
    out += c;
    i++;
  }
  return out;
}

/** Tables the migrations create: [file, kind, table]. */
function migratedTables() {
  const found = [];
  const pgDir = join(root, 'migrations', 'postgres');
  if (existsSync(pgDir)) {
    for (const name of readdirSync(pgDir).filter((f) => f.endsWith('.ts'))) {
      const sql = stripComments(readFileSync(join(pgDir, name), 'utf8'));
      for (const m of sql.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|(?:MATERIALIZED\s+)?VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?tollgate\.(\w+)/gi)) {
        found.push([`migrations/postgres/${name}`, 'postgres', m[1]]);
      }
    }
  }
  const chDir = join(root, 'migrations', 'clickhouse');
  if (existsSync(chDir)) {
    for (const name of readdirSync(chDir).filter((f) => f.endsWith('.sql'))) {
      const sql = readFileSync(join(chDir, name), 'utf8').replace(/--[^\n]*/g, '');
      const create = /CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?(?:TABLE|(?:MATERIALIZED\s+|LIVE\s+|WINDOW\s+)?VIEW|DICTIONARY)\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:`?\w+`?\.)?`?(\w+)/gi;
      for (const m of sql.matchAll(create)) found.push([`migrations/clickhouse/${name}`, 'clickhouse', m[1]]);
      for (const rename of sql.matchAll(/RENAME\s+TABLE\s+([^;]+)/gi)) {
        for (const m of rename[1].matchAll(/\S+\s+TO\s+(?:`?\w+`?\.)?`?(\w+)/gi)) found.push([`migrations/clickhouse/${name}`, 'clickhouse', m[1]]);
      }
    }
  }
  return found;
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
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

for (const lib of libs) {
  const index = join(root, 'libs', lib, 'src', 'index.ts');
  if (existsSync(index) && /^\s*export\s+\*/m.test(readFileSync(index, 'utf8'))) {
    problems.push(`libs/${lib}/src/index.ts: uses export *; list what the lib exports by name`);
  }
}

for (const [file, kind, table] of migratedTables()) {
  if (!(table in TABLE_OWNERS[kind])) {
    problems.push(`${file}: creates ${describeTable(kind, table)}, which has no owner; add it to TABLE_OWNERS in scripts/check-boundaries.mjs`);
  }
}

function describeTable(kind, table) {
  return kind === 'postgres' ? `PostgreSQL table tollgate.${table}` : `ClickHouse table ${table}`;
}

const clickhouseNames = new RegExp(`\\b(${Object.keys(TABLE_OWNERS.clickhouse).join('|')})\\b`, 'g');

/** Tables a lib file names outside comments: [line, kind, table]. */
function namedTables(source) {
  const code = stripComments(source);
  const lineOf = (index) => code.slice(0, index).split('\n').length;
  const named = [];
  for (const m of code.matchAll(/\btollgate\.([a-z_][a-z0-9_]*)\b/g)) named.push([lineOf(m.index), 'postgres', m[1]]);
  for (const m of code.matchAll(/@Entity\(\s*(?:'(\w+)'|\{[^}]*?\bname:\s*'(\w+)')/g)) named.push([lineOf(m.index), 'postgres', m[1] ?? m[2]]);
  for (const m of code.matchAll(clickhouseNames)) named.push([lineOf(m.index), 'clickhouse', m[1]]);
  return named;
}

for (const file of [...walk(join(root, 'libs')), ...walk(join(root, 'apps'))]) {
  const rel = relative(root, file).split(sep).join('/');
  const [area, owner] = rel.split('/');
  const source = readFileSync(file, 'utf8');
  const isSpec = rel.endsWith('.spec.ts');
  // runtime is the apps' shared process plumbing (launcher, HTTP server, the health routes every app answers).
  if (area === 'libs' && owner !== 'runtime' && !isSpec && /@Controller\(|\.worker\(\s*QueueName\./.test(stripComments(source))) {
    problems.push(`${rel}: a controller or queue processor in a lib; transport lives in apps/api/src/<area>/ or apps/worker/src/<area>/`);
  }
  if (area === 'libs') {
    for (const [line, kind, table] of namedTables(source)) {
      const tableOwner = TABLE_OWNERS[kind][table];
      if (tableOwner === owner) continue;
      if (tableOwner === undefined) problems.push(`${rel}:${line}: names ${describeTable(kind, table)}, which has no owner in TABLE_OWNERS`);
      else problems.push(`${rel}:${line}: names ${describeTable(kind, table)}, owned by libs/${tableOwner}; call that lib's service instead`);
    }
  }
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
