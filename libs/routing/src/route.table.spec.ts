import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderTarget } from '@tollgate/providers';
import { deploymentFixture } from './deployment.fixture';
import { RouteTable, compareDeployments } from './route.table';

const deployment = (id: string, model: string, createdAt: string) => deploymentFixture(id, model, createdAt);

const ids = (targets: ProviderTarget[] | undefined) => targets?.map((t) => t.deploymentId);

describe('RouteTable', () => {
  it('orders each model\'s deployments oldest first, then by id, whatever order the snapshot came in', () => {
    const snapshot = [
      deployment('00000000-0000-4000-8000-000000000003', 'gpt-4o', '2026-01-02T00:00:00.000002Z'),
      deployment('00000000-0000-4000-8000-00000000000b', 'gpt-4o', '2026-01-02T00:00:00.000001Z'),
      deployment('00000000-0000-4000-8000-00000000000a', 'gpt-4o', '2026-01-02T00:00:00.000001Z'),
      deployment('00000000-0000-4000-8000-000000000001', 'claude', '2026-03-01T00:00:00.000000Z'),
      deployment('00000000-0000-4000-8000-000000000002', 'claude', '2025-12-31T23:59:59.999999Z'),
    ];
    const before = snapshot.slice();
    const table = RouteTable.fromDeployments(snapshot);
    assert.deepEqual(ids(table.candidates('gpt-4o')), [
      '00000000-0000-4000-8000-00000000000a',
      '00000000-0000-4000-8000-00000000000b',
      '00000000-0000-4000-8000-000000000003',
    ]);
    assert.deepEqual(ids(table.candidates('claude')), ['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001']);
    assert.deepEqual(snapshot, before, 'the snapshot array is left as it came');
  });

  it('answers every lookup of a model with the same array: the order is settled once per snapshot', () => {
    const table = RouteTable.fromDeployments([deployment('b', 'm', '2026-01-01T00:00:00.000000Z'), deployment('a', 'm', '2026-01-01T00:00:00.000000Z')]);
    assert.equal(table.candidates('m'), table.candidates('m'));
    assert.deepEqual(ids(table.candidates('m')), ['a', 'b']);
  });

  it('has no route for a model without deployments', () => {
    assert.equal(RouteTable.fromDeployments([deployment('a', 'm', '2026-01-01T00:00:00.000000Z')]).candidates('other'), undefined);
    assert.equal(RouteTable.EMPTY.candidates('m'), undefined);
  });

  it('keeps the order of a snapshot without createdAt (an older api sends it already ordered)', () => {
    const legacy = ['c', 'a', 'b'].map((id) => ({ ...deployment(id, 'm', ''), createdAt: undefined }) as unknown as ProviderTarget);
    assert.deepEqual(ids(RouteTable.fromDeployments(legacy).candidates('m')), ['c', 'a', 'b']);
  });

  it('compareDeployments is a total order on (createdAt, id)', () => {
    const a = deployment('a', 'm', '2026-01-01T00:00:00.000001Z');
    const b = deployment('b', 'm', '2026-01-01T00:00:00.000001Z');
    const later = deployment('0', 'm', '2026-01-01T00:00:00.000002Z');
    assert.deepEqual([compareDeployments(a, b), compareDeployments(b, a), compareDeployments(a, a)], [-1, 1, 0]);
    assert.deepEqual([compareDeployments(later, a), compareDeployments(a, later)], [1, -1]);
  });
});
