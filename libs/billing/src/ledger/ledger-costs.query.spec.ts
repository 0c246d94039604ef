import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@tollgate/core';
import { parseLedgerCostsQuery } from './ledger-costs.query';
import { LEDGER_COSTS_EXAMPLE, ledgerCostsSchema, ledgerCostsSql, ledgerCostsToCsv } from './ledger-costs.service';

const fields = (params: Record<string, unknown>) => {
  try {
    parseLedgerCostsQuery(params);
  } catch (e) {
    if (e instanceof ValidationError) return e.problems.map((p) => p.field);
    throw e;
  }
  return [];
};

describe('ledger costs query', () => {
  it('reads months, grains, group_by with tag keys, and filters', () => {
    const q = parseLedgerCostsQuery({ from: '2025-05', to: '2025-07', group_by: 'billing_account,tag:cost center', service: ['Amazon Bedrock', 'Amazon EC2'], 'tag:team': 'search' });
    assert.deepEqual([q.from.toISOString(), q.to.toISOString(), q.grain], ['2025-05-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z', 'billing_period']);
    assert.deepEqual(q.groupBy, [{ column: 'billing_account' }, { tag: 'cost center' }]);
    assert.deepEqual(q.filters, [{ dimension: { column: 'service' }, values: ['Amazon Bedrock', 'Amazon EC2'] }, { dimension: { tag: 'team' }, values: ['search'] }]);
  });

  it('names each bad parameter', () => {
    assert.deepEqual(fields({}), ['from', 'to']);
    assert.deepEqual(fields({ from: '2025-05', to: '2025-06', group_by: 'colour', colour: 'red', grain: 'week' }).sort(), ['colour', 'grain', 'group_by']);
    assert.deepEqual(fields({ from: '2025-05-02', to: '2025-06' }), ['from']);
    assert.deepEqual(fields({ from: '2025-05-02', to: '2025-06', grain: 'day', provider: '' }), ['provider']);
  });

  it('puts tag keys and values in parameters, never in the SQL text', () => {
    const { sql, params } = ledgerCostsSql(parseLedgerCostsQuery({ from: '2025-05', to: '2025-06', group_by: "tag:a'b", "tag:x')--": 'v' }));
    assert.ok(!sql.includes("a'b") && !sql.includes("x')--"), sql);
    assert.deepEqual([params.gk_0, params.fk_0, params.fv_0], ["a'b", "x')--", ['v']]);
  });

  it('documents an example its schema accepts, and writes CSV', () => {
    assert.deepEqual(ledgerCostsSchema.parse(LEDGER_COSTS_EXAMPLE), LEDGER_COSTS_EXAMPLE);
    assert.equal(
      ledgerCostsToCsv(LEDGER_COSTS_EXAMPLE),
      'bucket,billing_account,service,currency,lines,billed_cost,effective_cost,list_cost\r\n2024-09-01,123456789012,Amazon Bedrock,USD,42,1234.567800000000,1200.000000000000,1300.000000000000\r\n',
    );
  });
});
