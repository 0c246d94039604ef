import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ForbiddenError } from '@tollgate/core';
import { limitUsageQueryToTeams, parseUsageQuery } from './usage-query';

describe("usage query under a caller's team limit", () => {
  const window = { from: '2026-11-01', to: '2026-11-02' };

  it('leaves the query alone for a caller who may read every team', () => {
    const query = parseUsageQuery({ ...window, group_by: 'team' });
    assert.equal(limitUsageQueryToTeams(query, null), query);
  });

  it('forces a filter on exactly the allowed teams when none is asked for (none allowed: an empty filter)', () => {
    const query = parseUsageQuery({ ...window, group_by: 'team,feature', customer: 'acme' });
    assert.deepEqual(limitUsageQueryToTeams(query, ['team-a', 'team-b']).filters, { customer: ['acme'], team: ['team-a', 'team-b'] });
    assert.deepEqual(limitUsageQueryToTeams(query, []).filters.team, []);
  });

  it('keeps a filter within the allowed teams and refuses one naming any other team', () => {
    const mine = parseUsageQuery({ ...window, team: 'team-a' });
    assert.deepEqual(limitUsageQueryToTeams(mine, ['team-a', 'team-b']).filters.team, ['team-a']);
    const theirs = parseUsageQuery({ ...window, team: 'team-a,team-c' });
    assert.throws(() => limitUsageQueryToTeams(theirs, ['team-a']), (e: unknown) => e instanceof ForbiddenError && /not team-c/.test(e.message) && /^team:/.test(e.message));
  });
});
