import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LlmRequestRow, toLlmRequestRow } from '../events/llm-request.row';
import { telemetryEventSchema } from '../events/telemetry-event.schema';
import { addPreviousWrites, keepLatestPerRequest, planBatch, StoredVersion } from './llm-request-dedup.lookup';

function row(requestId: string, version: number, cost: string): LlmRequestRow {
  const event = telemetryEventSchema.parse({
    request_id: requestId,
    ts: '2026-11-20T10:15:00.123Z',
    provider: 'openai',
    model: 'gpt-4o',
    status: 200,
    usage_source: 'provider',
    latency_ms: 5,
    estimated_cost: cost,
  });
  return toLlmRequestRow(event, undefined, version);
}
const entry = (requestId: string, version: number, cost = '1') => ({ row: row(requestId, version, cost) });
const ids = (entries: { row: LlmRequestRow }[]) => entries.map((e) => `${e.row.request_id}@${e.row.version}`);

describe('de-dup decisions', () => {
  it('keeps the highest version of a request_id repeated within a batch (the first of equals)', () => {
    const entries = [entry('a', 1), entry('b', 1), entry('a', 2), entry('b', 1), entry('a', 1)];
    const chosen = new Map<string, (typeof entries)[number]>();
    const repeated = keepLatestPerRequest(entries, chosen);
    assert.deepEqual(ids([...chosen.values()]), ['a@2', 'b@1']);
    assert.equal(chosen.get('b'), entries[1]);
    assert.deepEqual(ids(repeated), ['a@1', 'b@1', 'a@1']);
  });

  it('writes new requests, skips re-sends and restates newer versions with the superseded money', () => {
    const unique = [entry('new', 1), entry('resent', 1), entry('older', 1), entry('restated', 2, '3')];
    const repeated = [entry('new', 1)];
    const stored = new Map<string, StoredVersion>([
      ['resent', { version: 1, estimated_cost: '1', provider_cost: '0' }],
      ['older', { version: 2, estimated_cost: '1', provider_cost: '0' }],
      ['restated', { version: 1, estimated_cost: '1.5', provider_cost: '0.25' }],
    ]);
    const plan = planBatch(unique, repeated, stored);
    assert.deepEqual(plan.toWrite.map((w) => w.row.request_id), ['new', 'restated']);
    assert.equal(plan.toWrite[0].row, unique[0].row, 'a new request is written as it came');
    assert.deepEqual(
      (({ prev_version, prev_estimated_cost, prev_provider_cost }) => ({ prev_version, prev_estimated_cost, prev_provider_cost }))(plan.toWrite[1].row),
      { prev_version: 1, prev_estimated_cost: '1.5', prev_provider_cost: '0.25' },
    );
    assert.deepEqual(ids(plan.duplicates), ['new@1', 'resent@1', 'older@1']);
    assert.equal(plan.restated, 1);
  });

  it('takes a re-send with another ts for a duplicate, and writes a restatement at the stored ts', () => {
    const shifted = (id: string, version: number) => ({ row: { ...row(id, version, '3'), ts: '2026-11-21 10:15:00.124' } });
    const stored = new Map<string, StoredVersion>([
      ['resent', { version: 1, estimated_cost: '1', provider_cost: '0', ts: '2026-11-20 10:15:00.123' }],
      ['restated', { version: 1, estimated_cost: '1', provider_cost: '0', ts: '2026-11-20 10:15:00.123' }],
    ]);
    const plan = planBatch([shifted('resent', 1), shifted('restated', 2)], [], stored);
    assert.deepEqual(ids(plan.duplicates), ['resent@1']);
    assert.deepEqual(plan.toWrite.map((w) => [w.row.request_id, w.row.ts, w.row.prev_version]), [['restated', '2026-11-20 10:15:00.123', 1]]);
  });

  it('completes a lookup with what the previous batch wrote, and says whether the answer changed', () => {
    const unique = [entry('a', 2), entry('b', 1)];
    const stored = new Map<string, StoredVersion>();
    const nothingWritten = new Map([['a', { stored: undefined }]]);
    assert.equal(addPreviousWrites(unique, stored, nothingWritten), false);
    const written = new Map([['a', { stored: { ...row('a', 1, '2'), provider_cost: null } }]]);
    assert.equal(addPreviousWrites(unique, stored, written), true);
    assert.deepEqual(stored.get('a'), { version: 1, estimated_cost: row('a', 1, '2').estimated_cost, provider_cost: '0', ts: '2026-11-20 10:15:00.123' });
    assert.equal(addPreviousWrites(unique, stored, written), false, 'a version already known changes nothing');
  });
});
