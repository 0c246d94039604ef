import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isBigQueryTable, quotedBigQueryTable } from './bigquery-table.identifier';

describe('BigQuery table identifiers', () => {
  it("accepts BigQuery's documented names", () => {
    for (const table of ['finops-test.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F70819', 'billing.focus_v1', 'example.com:my-project.billing.export', 'my-project.ds.таблица 2025', 'proj-123.ds.t-1']) {
      assert.equal(isBigQueryTable(table), true, table);
    }
  });

  it('refuses anything that could leave the backticks or is not a BigQuery name', () => {
    for (const table of ['p.d.t` WHERE 1=1; --', 'p.d.t`', 'Upper-Project.ds.t', 'ab.ds.t', 'project-.ds.t', 'p.d-s.t', 'p.ds.t.x', "p.ds.t'", 'ds', 'p.ds.t\n']) {
      assert.equal(isBigQueryTable(table), false, table);
    }
    assert.throws(() => quotedBigQueryTable('p.d.t` --'), /settings\.table: not a BigQuery table name/);
    assert.equal(quotedBigQueryTable('billing.focus_v1'), '`billing.focus_v1`');
  });
});
