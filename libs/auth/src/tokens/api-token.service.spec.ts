import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEntry, AuditLogService } from '@tollgate/audit';
import { UnauthorizedError, ValidationError, hashSecret, loadConfig } from '@tollgate/core';
import { ApiTokenRecord, ApiTokenRepository, ApiTokenScope } from './api-token.repository';
import { ApiTokenService, COLLECTOR_TOKEN_FILE } from './api-token.service';
import { proxyChannelToken } from './proxy-channel.token';

/** The table in memory, counting lookups so the verification cache can be observed. */
class MemoryTokens implements Pick<ApiTokenRepository, 'insert' | 'isLive' | 'countLive'> {
  rows: Array<ApiTokenRecord & { hash: string; revoked: boolean }> = [];
  lookups = 0;

  async insert(t: { name: string; scope: ApiTokenScope; hash: string; prefix: string }): Promise<ApiTokenRecord> {
    const row = { id: `id-${this.rows.length + 1}`, name: t.name, scope: t.scope, token_prefix: t.prefix, created_at: new Date(0), hash: t.hash, revoked: false };
    this.rows.push(row);
    return { id: row.id, name: row.name, scope: row.scope, token_prefix: row.token_prefix, created_at: row.created_at };
  }

  async isLive(hash: string, scope: ApiTokenScope): Promise<boolean> {
    this.lookups++;
    return this.rows.some((r) => r.hash === hash && r.scope === scope && !r.revoked);
  }

  async countLive(scope: ApiTokenScope): Promise<number> {
    return this.rows.filter((r) => r.scope === scope && !r.revoked).length;
  }
}

function setup(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-auth-'));
  const tokens = new MemoryTokens();
  const audited: AuditEntry[] = [];
  const audit = new AuditLogService({
    query: async (_sql: string, params?: unknown[]) => {
      const [actor, action, entity, entityId, details] = params as string[];
      audited.push({ actor, action, entity, entityId, details: JSON.parse(details) });
      return [];
    },
  });
  let clock = 1_000;
  const secretKey = Buffer.alloc(32, 7);
  const config = loadConfig({ TOLLGATE_DATA_DIR: dataDir, ...env });
  const service = new ApiTokenService(tokens, audit, config, { secretKey, cacheMs: 60_000, now: () => clock });
  return { service, tokens, audited, secretKey, dataDir, tick: (ms: number) => (clock += ms) };
}

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof UnauthorizedError);
  return error.message;
};

describe('ApiTokenService', () => {
  it('issues a token once, stores only its hash, and audit-logs the issue', async () => {
    const { service, tokens, audited } = setup();
    const created = await service.create({ name: 'ci', scope: 'proxy' }, 'alice');
    assert.match(created.token, /^tgt_[A-Za-z0-9_-]{32}$/);
    assert.deepEqual([tokens.rows[0].hash, tokens.rows[0].token_prefix, created.scope], [hashSecret(created.token), created.token.slice(0, 10), 'proxy']);
    assert.deepEqual(audited, [{ actor: 'alice', action: 'api_token.create', entity: 'api_token', entityId: created.id, details: { name: 'ci', scope: 'proxy' } }]);
    await assert.rejects(service.create({ name: 'x', scope: 'root' }), (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'scope');
  });

  it('verifies a token for its scope only, and remembers a verified token for the cache period', async () => {
    const { service, tokens, tick } = setup();
    const collector = await service.createCollectorToken('agent');
    await service.verifyBearer(`Bearer ${collector}`, 'collector');
    await service.verifyBearer(`bearer ${collector} `, 'collector');
    assert.equal(tokens.lookups, 1, 'the second check is answered from the cache');
    assert.equal(await refusal(service.verifyBearer(`Bearer ${collector}`, 'proxy')), "a live API token of scope 'proxy' is required");
    tokens.rows[0].revoked = true;
    await service.verifyBearer(`Bearer ${collector}`, 'collector');
    tick(60_001);
    assert.equal(await refusal(service.verifyBearer(`Bearer ${collector}`, 'collector')), 'invalid or revoked collector token');
  });

  it("refuses a missing header with each scope's message", async () => {
    const { service } = setup();
    assert.match(await refusal(service.verifyBearer(undefined, 'collector')), /^missing collector token: send Authorization: Bearer <token>$/);
    assert.equal(await refusal(service.verifyBearer('Basic abc', 'proxy')), 'missing bearer token');
  });

  it('accepts the configured collector token for collector and the derived channel token for proxy, nothing crosswise', async () => {
    const { service, tokens, secretKey } = setup({ TOLLGATE_COLLECTOR_TOKEN: 'configured-collector-token' });
    await service.verifyBearer('Bearer configured-collector-token', 'collector');
    await service.verifyBearer(`Bearer ${proxyChannelToken(secretKey)}`, 'proxy');
    assert.equal(tokens.lookups, 0);
    await refusal(service.verifyBearer('Bearer configured-collector-token', 'proxy'));
    await refusal(service.verifyBearer(`Bearer ${proxyChannelToken(secretKey)}`, 'collector'));
  });

  it('embedded mode generates one collector token into an owner-only file, once', async () => {
    const { service, tokens, dataDir } = setup();
    const first = await service.ensureCollectorBootstrapToken();
    const file = join(dataDir, COLLECTOR_TOKEN_FILE);
    assert.deepEqual(first, { generated: true, file });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = readFileSync(file, 'utf8').trim();
    assert.equal(tokens.rows[0].hash, hashSecret(token));
    await service.verifyBearer(`Bearer ${token}`, 'collector');
    assert.deepEqual(await service.ensureCollectorBootstrapToken(), { generated: false, file });
    assert.equal(tokens.rows.length, 1);
  });

  it('never generates a token in server mode or when one is configured', async () => {
    const server = setup({ DATABASE_URL: 'postgres://db.invalid/tollgate' });
    assert.deepEqual(await server.service.ensureCollectorBootstrapToken(), { generated: false });
    const configured = setup({ TOLLGATE_COLLECTOR_TOKEN: 'configured-collector-token' });
    assert.deepEqual(await configured.service.ensureCollectorBootstrapToken(), { generated: false });
    assert.equal(server.tokens.rows.length + configured.tokens.rows.length, 0);
  });
});
