import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { ValidationError } from '@tollgate/core';
import { encodeCursor, parseRequestId, parseRequestListQuery, parseWaitMs } from './request-list.query';
import { REQUEST_RECORD_EXAMPLE, requestListSchema, requestRecordSchema, requestsToCsv } from './request-record';

const fields = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.problems.map((p) => p.field);
    throw e;
  }
  return [];
};

describe('request list query', () => {
  const now = new Date('2026-11-21T12:00:00.000Z');

  it('defaults to the 24 hours before now, or after a lone from', () => {
    const q = parseRequestListQuery({}, now);
    assert.deepEqual([q.from.toISOString(), q.to.toISOString(), q.limit], ['2026-11-20T12:00:00.000Z', '2026-11-21T12:00:00.000Z', 100]);
    const from = parseRequestListQuery({ from: '2026-11-01' }, now);
    assert.equal(from.to.toISOString(), '2026-11-02T00:00:00.000Z');
  });

  it('takes repeated and comma-separated filters, statuses and the error class, and round-trips a cursor', () => {
    const q = parseRequestListQuery({ team: ['a,b', 'a'], status: '429,error', request_id: 'x', cursor: encodeCursor('2026-11-20 10:00:00.000', 'r-1') }, now);
    assert.deepEqual(q.filters, { team: ['a', 'b'], request_id: ['x'] });
    assert.deepEqual([q.statuses, q.errors, q.after], [[429], true, { ts: '2026-11-20 10:00:00.000', requestId: 'r-1' }]);
  });

  it('names every bad parameter', () => {
    assert.deepEqual(fields(() => parseRequestListQuery({ from: 'x', limit: '5000', cursor: 'abc', status: 'ok', teams: 'a' }, now)).sort(), ['cursor', 'from', 'limit', 'status', 'teams']);
    assert.deepEqual(fields(() => parseRequestListQuery({ from: '2026-11-02', to: '2026-11-01' }, now)), ['to']);
    assert.deepEqual(fields(() => parseRequestId('x'.repeat(129))), ['id']);
    assert.deepEqual(fields(() => parseWaitMs('20000')), ['wait_ms']);
    assert.equal(parseWaitMs('2500'), 2500);
  });

  it('documents an example that its schema accepts, and writes it as CSV', () => {
    assert.deepEqual(requestRecordSchema.parse(REQUEST_RECORD_EXAMPLE), REQUEST_RECORD_EXAMPLE);
    requestListSchema.parse({ from: 'a', to: 'b', rows: [REQUEST_RECORD_EXAMPLE], next_cursor: null });
    const [row] = parse(requestsToCsv([REQUEST_RECORD_EXAMPLE]), { columns: true }) as Record<string, string>[];
    assert.deepEqual([row.request_id, row.estimated_cost, row.cache_write_1h_tokens, row.provider_cost], [REQUEST_RECORD_EXAMPLE.request_id, '0.000004500000', '0', '']);
    assert.deepEqual(JSON.parse(row.attempts), REQUEST_RECORD_EXAMPLE.attempts);
  });
});
