import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEntry, AuditLogService } from '@tollgate/audit';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError, hashSecret, loadConfig } from '@tollgate/core';
import { ApiTokenRecord, ApiTokenRepository, ApiTokenScope, NewApiToken } from './api-token.repository';
import { ADMIN_TOKEN_FILE, ApiTokenService, COLLECTOR_TOKEN_FILE } from './api-token.service';
import { proxyChannelToken } from './proxy-channel.token';

/** The table in memory, counting lookups so the verification cache can be observed. */
class MemoryTokens implements Pick<ApiTokenRepository, 'insert' | 'findLive' | 'countLive' | 'list' | 'revoke'> {
  rows: Array<ApiTokenRecord & { hash: string; revoked: boolean }> = [];
  lookups = 0;

  async insert(t: NewApiToken): Promise<ApiTokenRecord> {
    const row = {
      id: `id-${this.rows.length + 1}`,
      name: t.name,
      scope: t.scope,
      teams: t.teams ?? null,
      token_prefix: t.prefix,
      created_by: t.createdBy ?? null,
      created_at: new Date(0),
      revoked_at: null,
      hash: t.hash,
      revoked: false,
    };
    this.rows.push(row);
    return this.record(row);
  }

  async findLive(hash: string): Promise<ApiTokenRecord | undefined> {
    this.lookups++;
    const row = this.rows.find((r) => r.hash === hash && !r.revoked);
    return row && this.record(row);
  }

  async countLive(scope: ApiTokenScope): Promise<number> {
    return this.rows.filter((r) => r.scope === scope && !r.revoked).length;
  }

  async list(): Promise<ApiTokenRecord[]> {
    return this.rows.map((r) => this.record(r));
  }

  async revoke(id: string): Promise<(ApiTokenRecord & { token_hash: string }) | undefined> {
    const row = this.rows.find((r) => r.id === id && !r.revoked);
    if (!row) return undefined;
    row.revoked = true;
    return { ...this.record(row), token_hash: row.hash };
  }

  private record({ hash: _hash, revoked: _revoked, ...record }: ApiTokenRecord & { hash: string; revoked: boolean }): ApiTokenRecord {
    return record;
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

const forbidden = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ForbiddenError, String(error));
  return error.message;
};

describe('ApiTokenService', () => {
  it('issues a token once, stores only its hash, and audit-logs the issue', async () => {
    const { service, tokens, audited } = setup();
    const created = await service.create({ name: 'ci', scope: 'proxy' }, 'alice');
    assert.match(created.token, /^tgt_[A-Za-z0-9_-]{32}$/);
    assert.deepEqual([tokens.rows[0].hash, tokens.rows[0].token_prefix, created.scope], [hashSecret(created.token), created.token.slice(0, 10), 'proxy']);
    assert.deepEqual(audited, [{ actor: 'alice', action: 'api_token.create', entity: 'api_token', entityId: created.id, details: { name: 'ci', scope: 'proxy', teams: null } }]);
    await assert.rejects(service.create({ name: 'x', scope: 'root' }, 'alice'), (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'scope');
  });

  it('verifies a token for its scope only, and remembers a verified token for the cache period', async () => {
    const { service, tokens, tick } = setup();
    const collector = await service.createCollectorToken('agent');
    await service.verifyBearer(`Bearer ${collector}`, 'collector');
    await service.verifyBearer(`bearer ${collector} `, 'collector');
    assert.equal(tokens.lookups, 1, 'the second check is answered from the cache');
    assert.equal(await forbidden(service.verifyBearer(`Bearer ${collector}`, 'proxy')), "this API token lacks scope 'proxy' (has collector)");
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
    await forbidden(service.verifyBearer('Bearer configured-collector-token', 'proxy'));
    await forbidden(service.verifyBearer(`Bearer ${proxyChannelToken(secretKey)}`, 'collector'));
    assert.equal(await refusal(service.verifyBearer('Bearer configured-collector-token-but-not', 'collector')), 'invalid or revoked collector token');
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

  it('a token carries its team limit and its scope with the ones it includes (admin ⊃ write ⊃ read; collector and proxy apart)', async () => {
    const { service } = setup();
    const limited = await service.create({ name: 'team-a reader', scope: 'read', teams: ['team-a', 'team-a', 'team-b'] }, 'admin@x');
    assert.deepEqual(limited.teams, ['team-a', 'team-b']);
    const reader = await service.verifyBearer(`Bearer ${limited.token}`, 'read');
    assert.deepEqual(reader, { kind: 'token', id: limited.id, name: 'token:team-a reader', scopes: ['read'], teams: ['team-a', 'team-b'] });
    await forbidden(service.verifyBearer(`Bearer ${limited.token}`, 'write'));
    const admin = await service.create({ name: 'ops', scope: 'admin' }, 'admin@x');
    assert.deepEqual((await service.verifyBearer(`Bearer ${admin.token}`, 'write')).scopes, ['read', 'write', 'admin']);
    await forbidden(service.verifyBearer(`Bearer ${admin.token}`, 'proxy'));
    await forbidden(service.verifyBearer(`Bearer ${admin.token}`, 'collector'));
    await assert.rejects(service.create({ name: 'x', scope: 'read', teams: [] }, 'alice'), ValidationError);
  });

  it('lists tokens without their secret and revokes one at once in this process, audit-logged', async () => {
    const { service, audited } = setup();
    const created = await service.create({ name: 'ci', scope: 'write' }, 'alice');
    await service.verifyBearer(`Bearer ${created.token}`, 'write');
    assert.deepEqual(
      (await service.list()).map((t) => [t.name, t.scope, 'token' in t]),
      [['ci', 'write', false]],
    );
    await service.revoke(created.id, 'bob');
    assert.equal(await refusal(service.verifyBearer(`Bearer ${created.token}`, 'write')), 'invalid or revoked API token', 'not answered from the cache');
    await assert.rejects(service.revoke(created.id, 'bob'), NotFoundError);
    assert.deepEqual(audited.at(-1), { actor: 'bob', action: 'api_token.revoke', entity: 'api_token', entityId: created.id, details: { before: { name: 'ci', scope: 'write', teams: null } } });
  });

  it('TOLLGATE_ADMIN_TOKEN becomes a live admin token once; embedded mode without it generates <data dir>/admin-token (0600)', async () => {
    const configured = setup({ TOLLGATE_ADMIN_TOKEN: 'the-configured-admin-token' });
    assert.deepEqual(await configured.service.ensureAdminBootstrapToken(), { generated: false });
    await configured.service.ensureAdminBootstrapToken();
    assert.equal(configured.tokens.rows.length, 1);
    assert.deepEqual([configured.tokens.rows[0].hash, configured.tokens.rows[0].scope], [hashSecret('the-configured-admin-token'), 'admin']);
    assert.equal((await configured.service.verifyBearer('Bearer the-configured-admin-token', 'admin')).name, 'token:TOLLGATE_ADMIN_TOKEN');

    const generated = setup();
    const file = join(generated.dataDir, ADMIN_TOKEN_FILE);
    assert.deepEqual(await generated.service.ensureAdminBootstrapToken(), { generated: true, file });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await generated.service.verifyBearer(`Bearer ${readFileSync(file, 'utf8').trim()}`, 'admin');
    assert.deepEqual(await generated.service.ensureAdminBootstrapToken(), { generated: false, file });

    const server = setup({ DATABASE_URL: 'postgres://db.invalid/tollgate' });
    assert.deepEqual(await server.service.ensureAdminBootstrapToken(), { generated: false });
    assert.equal(server.tokens.rows.length, 0);
  });
});
