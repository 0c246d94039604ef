import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '@tollgate/storage';
import { tempDir } from '../support/test-env';

const checker = join(projectRoot(), 'scripts', 'check-boundaries.mjs');

function tree(files: Record<string, string>): string {
  const root = tempDir('tollgate-boundaries-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const check = (root: string) => spawnSync(process.execPath, [checker, root], { encoding: 'utf8' });

describe('module boundary check', () => {
  it('passes on this repository', () => {
    const result = check(projectRoot());
    assert.equal(result.status, 0, result.stderr);
  });

  it('fails when a lower lib depends on a higher one, an app imports an app, or env is read outside main', () => {
    const root = tree({
      'libs/core/src/index.ts': "import { Stores } from '@tollgate/storage';\nexport const x = process.env.FOO;\n",
      'libs/storage/src/index.ts': "export const y = 1;\n",
      'apps/api/src/index.ts': "import { z } from '../../proxy/src/proxy.server';\n",
      'apps/proxy/src/proxy.server.ts': "import { y } from '../../../libs/storage/src/index';\nexport const z = y;\n",
    });
    const result = check(root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /libs\/core \(layer 0\) may not depend on libs\/storage \(layer 1\)/);
    assert.match(result.stderr, /libs\/core\/src\/index\.ts: reads process\.env/);
    assert.match(result.stderr, /apps\/api\/src\/index\.ts: apps may not import other apps/);
    assert.match(result.stderr, /reaches into libs\/storage by path/);
  });

  it('lets the all-in-one launcher compose the apps through their index files only', () => {
    const root = tree({
      'libs/core/src/index.ts': 'export const a = 1;\n',
      'apps/api/src/index.ts': 'export const api = 1;\n',
      'apps/platform/src/main.ts': "import { api } from '../../api/src';\nconst port = process.env.PORT;\n",
    });
    assert.equal(check(root).status, 0);
    writeFileSync(join(root, 'apps/platform/src/main.ts'), "import { api } from '../../api/src/api.module';\n");
    assert.equal(check(root).status, 1);
  });
});

describe('table ownership check', () => {
  it("fails when a lib names another lib's table, naming the file, the table and its owner", () => {
    const root = tree({
      'libs/billing/src/sources/deployments.reader.ts': "export const sql = `SELECT id FROM tollgate.model_deployments WHERE enabled`;\n",
      'libs/pricing/src/restatement/requests.reader.ts': "const at = 'https://example.com/*.csv'; const sql = `SELECT * FROM llm_requests FINAL`;\n",
      'libs/telemetry/src/tokens.entity.ts': "@Entity({ schema: 'tollgate', name: 'api_tokens' })\nexport class T {}\n",
    });
    const result = check(root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /libs\/billing\/src\/sources\/deployments\.reader\.ts:1: names PostgreSQL table tollgate\.model_deployments, owned by libs\/providers/);
    // A `/*` inside a string is no comment: the table after it on the same line is still seen.
    assert.match(result.stderr, /libs\/pricing\/src\/restatement\/requests\.reader\.ts:1: names ClickHouse table llm_requests, owned by libs\/telemetry/);
    assert.match(result.stderr, /libs\/telemetry\/src\/tokens\.entity\.ts:1: names PostgreSQL table tollgate\.api_tokens, owned by libs\/auth/);
  });

  it('lets the owner name its tables, comments mention any table, and apps and tests stay out of the rule', () => {
    const root = tree({
      'libs/auth/src/tokens/api-token.repository.ts': "export const sql = 'SELECT 1 FROM tollgate.api_tokens';\n",
      'libs/billing/src/connectors/opencost.connector.ts':
        "/** Matches allocations to `tollgate.model_deployments.opencost_selector`. */\nexport const url = 'http://opencost'; // not llm_requests\n/* billing_lines and\n   tollgate.audit_log */\n",
      'libs/billing/src/ledger/billing-ledger.repository.ts': 'export const sql = `SELECT 1 FROM billing_lines_staging`;\n',
      'apps/api/src/index.ts': "export const sql = 'SELECT 1 FROM tollgate.api_tokens UNION SELECT 1 FROM llm_requests';\n",
      'test/integration/x.test.ts': "export const sql = 'SELECT 1 FROM tollgate.audit_log';\n",
    });
    const result = check(root);
    assert.equal(result.status, 0, result.stderr);
  });

  it('fails when a migration creates a table the ownership map lacks', () => {
    const root = tree({
      'libs/core/src/index.ts': 'export const a = 1;\n',
      'migrations/clickhouse/0099_cost_rollups.up.sql': '-- CREATE TABLE commented_out\nCREATE TABLE IF NOT EXISTS cost_rollups (day Date) ENGINE = MergeTree ORDER BY day;\n',
      'migrations/postgres/1799000000000-Budgets.ts': 'export const up = `CREATE TABLE tollgate.budgets (id uuid PRIMARY KEY)`;\n',
    });
    const result = check(root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /migrations\/clickhouse\/0099_cost_rollups\.up\.sql: creates ClickHouse table cost_rollups, which has no owner; add it to TABLE_OWNERS/);
    assert.match(result.stderr, /migrations\/postgres\/1799000000000-Budgets\.ts: creates PostgreSQL table tollgate\.budgets, which has no owner/);
    assert.doesNotMatch(result.stderr, /commented_out/);
  });

  it('fails on export * in a lib index and on a controller or queue processor in a lib; runtime keeps the health routes', () => {
    const root = tree({
      'libs/core/src/index.ts': "export * from './money';\n",
      'libs/core/src/money.ts': 'export const a = 1;\n',
      'libs/storage/src/index.ts': "export { b } from './b';\n",
      'libs/storage/src/b.ts': "export const b = 1;\n// @Controller('x') in a comment is fine\n",
      'libs/pricing/src/index.ts': "export { PricesController } from './prices.controller';\n",
      'libs/pricing/src/prices.controller.ts': "@Controller('v1/prices')\nexport class PricesController {}\n",
      'libs/billing/src/index.ts': "export { SyncProcessor } from './sync.processor';\n",
      'libs/billing/src/sync.processor.ts': 'export class SyncProcessor { start(q) { q.worker(QueueName.Billing, () => 1); } }\n',
      'libs/runtime/src/index.ts': "export { health } from './health.controller';\n",
      'libs/runtime/src/health.controller.ts': "@Controller()\nexport class health {}\n",
    });
    const result = check(root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /libs\/core\/src\/index\.ts: uses export \*; list what the lib exports by name/);
    assert.match(result.stderr, /libs\/pricing\/src\/prices\.controller\.ts: a controller or queue processor in a lib/);
    assert.match(result.stderr, /libs\/billing\/src\/sync\.processor\.ts: a controller or queue processor in a lib/);
    assert.doesNotMatch(result.stderr, /libs\/storage|libs\/runtime/);
  });
});

describe('nest-cli.json', () => {
  it('is in monorepo mode with a project for every app and lib folder', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const cli = JSON.parse(readFileSync(join(projectRoot(), 'nest-cli.json'), 'utf8')) as {
      monorepo: boolean;
      projects: Record<string, { type: string; root: string }>;
    };
    assert.equal(cli.monorepo, true);
    for (const [area, type] of [['apps', 'application'], ['libs', 'library']] as const) {
      for (const name of readdirSync(join(projectRoot(), area))) {
        assert.deepEqual({ type: cli.projects[name]?.type, root: cli.projects[name]?.root }, { type, root: `${area}/${name}` }, `${area}/${name}`);
      }
    }
  });
});
