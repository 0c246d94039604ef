import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuditLogService } from './audit-log.service';
import { AuditQueryRunner } from './audit-log.repository';

/** Records each statement a runner receives. */
function recorder(rows: unknown[] = []) {
  const calls: Array<{ sql: string; params: unknown[] }> = [];
  const runner: AuditQueryRunner = {
    query: async (sql: string, params: unknown[] = []) => {
      calls.push({ sql, params });
      return rows;
    },
  };
  return { runner, calls };
}

describe('AuditLogService', () => {
  it("writes an entry through the caller's transaction when given one, else through its own connection", async () => {
    const own = recorder();
    const transaction = recorder();
    const audit = new AuditLogService(own.runner);
    await audit.record({ actor: 'alice', action: 'price_override.created', entity: 'price_override', entityId: 'o-1', details: { after: { id: 'o-1' } } }, transaction.runner);
    await audit.record({ actor: 'api', action: 'provider.create', entity: 'provider', entityId: 'p-1' });
    assert.equal(transaction.calls.length, 1);
    assert.match(transaction.calls[0].sql, /^INSERT INTO tollgate\.audit_log \(actor, action, entity, entity_id, details\)/);
    assert.deepEqual(transaction.calls[0].params, ['alice', 'price_override.created', 'price_override', 'o-1', '{"after":{"id":"o-1"}}']);
    assert.deepEqual(own.calls[0].params, ['api', 'provider.create', 'provider', 'p-1', '{}']);
  });

  it('lists with only the filters given, oldest first, parameters bound in order', async () => {
    const db = recorder([{ id: '1' }]);
    const audit = new AuditLogService(db.runner);
    assert.deepEqual(await audit.list({ entities: ['price_override', 'price_restatement'], entityId: 'o-1', limit: 10 }), [{ id: '1' }]);
    await audit.list();
    assert.equal(
      db.calls[0].sql,
      'SELECT id, at, actor, action, entity, entity_id, details FROM tollgate.audit_log WHERE entity = ANY($1::text[]) AND entity_id = $2 ORDER BY id LIMIT $3',
    );
    assert.deepEqual(db.calls[0].params, [['price_override', 'price_restatement'], 'o-1', 10]);
    assert.equal(db.calls[1].sql, 'SELECT id, at, actor, action, entity, entity_id, details FROM tollgate.audit_log ORDER BY id');
  });

  it('pages newest first by id cursor, with time and actor filters, and says whether another page follows', async () => {
    const db = recorder([{ id: '9' }, { id: '8' }, { id: '7' }]);
    const audit = new AuditLogService(db.runner);
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-02-01T00:00:00Z');
    assert.deepEqual(await audit.page({ actor: 'alice@x', from, to, cursor: '10' }, 2), { entries: [{ id: '9' }, { id: '8' }], next_cursor: '8' });
    assert.equal(
      db.calls[0].sql,
      'SELECT id, at, actor, action, entity, entity_id, details FROM tollgate.audit_log WHERE actor = $1 AND at >= $2 AND at < $3 AND id < $4::bigint ORDER BY id DESC LIMIT $5',
    );
    assert.deepEqual(db.calls[0].params, ['alice@x', from, to, '10', 3]);
    assert.deepEqual(await audit.page({}, 3), { entries: [{ id: '9' }, { id: '8' }, { id: '7' }], next_cursor: null });
  });
});
