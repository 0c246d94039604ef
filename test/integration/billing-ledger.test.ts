import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { parse } from 'csv-parse/sync';
import { loadConfig } from '@tollgate/core';
import { Stores } from '@tollgate/storage';
import { BillingFileFormat, BillingInputError, BillingLedgerSync } from '@tollgate/billing';
import { embeddedTarget, StoreTarget, tempDir } from '../support/test-env';

/**
 * The ledger against the real sample exports in ../shared/datasets/billing: every file ingests with totals per
 * provider, account, service, day and currency equal to the file's own sums (computed here with csv-parse, not with
 * the product's SQL), a re-sync changes nothing, a restated file replaces its period, and bad input fails the sync
 * naming the file and line with nothing committed.
 */
const DATASETS = join(__dirname, '..', '..', '..', '..', 'shared', 'datasets', 'billing');

type Row = Record<string, string>;
interface Expectation {
  provider: (r: Row) => string;
  account: (r: Row) => string;
  subAccount: (r: Row) => string;
  service: (r: Row) => string;
  day: (r: Row) => string;
  currency: (r: Row) => string;
  /** Which ledger cost the file's own cost column must equal. */
  cost: { column: string; ledger: 'BilledCost' | 'EffectiveCost' }[];
}

const nullable = (v: string | undefined) => (v === undefined || v === 'NULL' ? '' : v.trim());
const usDay = (v: string) => {
  const [m, d, y] = v.split('/');
  return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
};

const focus: Expectation = {
  provider: (r) => r.ProviderName,
  account: (r) => nullable(r.BillingAccountId),
  subAccount: (r) => nullable(r.SubAccountId),
  service: (r) => nullable(r.ServiceName),
  day: (r) => r.ChargePeriodStart.slice(0, 10),
  currency: (r) => r.BillingCurrency,
  cost: [
    { column: 'BilledCost', ledger: 'BilledCost' },
    { column: 'EffectiveCost', ledger: 'EffectiveCost' },
  ],
};
const cur: Expectation = {
  provider: () => 'AWS',
  account: (r) => r['bill/PayerAccountId'],
  subAccount: (r) => r['lineItem/UsageAccountId'],
  service: (r) => r['product/ProductName'] || r['lineItem/ProductCode'],
  day: (r) => r['lineItem/UsageStartDate'].slice(0, 10),
  currency: (r) => r['lineItem/CurrencyCode'],
  cost: [{ column: 'lineItem/UnblendedCost', ledger: 'BilledCost' }],
};
const azure = (ledger: 'BilledCost' | 'EffectiveCost'): Expectation => ({
  provider: () => 'Microsoft',
  account: (r) => r.BillingAccountId,
  subAccount: (r) => r.SubscriptionId,
  service: (r) => r.MeterCategory,
  day: (r) => usDay(r.Date),
  currency: (r) => r.BillingCurrency,
  cost: [{ column: 'Cost', ledger }],
});

const samples: { file: string; format?: BillingFileFormat; expect: Expectation; rows: number }[] = [
  { file: 'focus-sample/focus-1.0_official_focus_sample_1000.csv', expect: focus, rows: 1000 },
  { file: 'focus-sample/focus-1.0_official_sample_oracle.csv', expect: focus, rows: 7 },
  { file: 'focus-sample/focus-1.0_official_sample_microsoft.csv', expect: focus, rows: 51 },
  { file: 'aws/aws-cur-legacy_focus_converters_sample-anonymous-aws-export-dataset.csv', expect: cur, rows: 1281 },
  { file: 'azure/azure-ea-actualcost_finops-toolkit_EA_ActualCost_Small.csv', format: 'azure-actual', expect: azure('BilledCost'), rows: 11 },
  { file: 'azure/azure-ea-amortizedcost_finops-toolkit_EA_AmortizedCost_Small.csv', format: 'azure-amortized', expect: azure('EffectiveCost'), rows: 28 },
];

function expectedTotals(path: string, expect: Expectation): Map<string, Decimal[]> {
  const rows = parse(readFileSync(path), { columns: true, bom: true, skip_empty_lines: true }) as Row[];
  const totals = new Map<string, Decimal[]>();
  for (const r of rows) {
    const key = [expect.provider(r), expect.account(r), expect.subAccount(r), expect.service(r), expect.day(r), expect.currency(r)].join('|');
    const sums = totals.get(key) ?? expect.cost.map(() => new Decimal(0));
    expect.cost.forEach((c, i) => (sums[i] = sums[i].plus(new Decimal(nullable(r[c.column]) || '0'))));
    totals.set(key, sums);
  }
  return totals;
}

describe('billing ledger on embedded stores', () => {
  let target: StoreTarget;
  let stores: Stores;
  let ledger: BillingLedgerSync;
  let work: string;

  before(async () => {
    target = await embeddedTarget.create();
    stores = await Stores.open(loadConfig(target.env));
    await stores.migrate();
    ledger = new BillingLedgerSync(stores.clickhouse);
    work = tempDir('tollgate-billing-');
  });
  after(async () => {
    await stores?.close();
    await target?.cleanup();
  });

  async function query<T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const result = await stores.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  }

  async function ledgerTotals(sourceId: string, costs: string[]): Promise<Map<string, string[]>> {
    const rows = await query<Record<string, string>>(
      `SELECT ProviderName, BillingAccountId, SubAccountId, ServiceName, toString(toDate(ChargePeriodStart)) AS day, BillingCurrency,
              toString(sum(BilledCost)) AS BilledCost, toString(sum(EffectiveCost)) AS EffectiveCost
       FROM billing_lines WHERE source_id = {sourceId:String}
       GROUP BY ProviderName, BillingAccountId, SubAccountId, ServiceName, day, BillingCurrency`,
      { sourceId },
    );
    return new Map(rows.map((r) => [[r.ProviderName, r.BillingAccountId, r.SubAccountId, r.ServiceName, r.day, r.BillingCurrency].join('|'), costs.map((c) => r[c])]));
  }

  const run = (sourceId: string, path: string, format?: BillingFileFormat, extra: { periods?: string[]; name?: string } = {}) =>
    ledger.sync({
      sourceId,
      sourceKind: 'file',
      syncRunId: randomUUID(),
      ingestVersion: Date.now(),
      files: [{ location: { kind: 'local', path }, name: extra.name ?? path.split('/').pop()!, format }],
      periods: extra.periods,
    });

  for (const sample of samples) {
    it(`ingests ${sample.file} with the file's own totals per provider, account, service, day and currency, and a re-sync changes nothing`, async () => {
      const path = join(DATASETS, sample.file);
      const sourceId = randomUUID();
      const result = await run(sourceId, path, sample.format);
      assert.equal(result.rows, sample.rows);
      const expected = expectedTotals(path, sample.expect);
      const ledgerColumns = sample.expect.cost.map((c) => c.ledger);
      const actual = await ledgerTotals(sourceId, ledgerColumns);
      assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
      for (const [key, sums] of expected) {
        sums.forEach((sum, i) => {
          const got = new Decimal(actual.get(key)![i]);
          assert.equal(got.toFixed(2), sum.toFixed(2), `${ledgerColumns[i]} of ${key}`);
          // Exact to the ledger's 12 decimals except for sub-1e-12 fractions the Decimal(38, 12) column cannot hold.
          assert.ok(got.minus(sum).abs().lte('1e-9'), `${ledgerColumns[i]} of ${key}: ${got} vs ${sum}`);
        });
      }

      const before = await query(`SELECT * FROM billing_lines WHERE source_id = {sourceId:String} ORDER BY source_line`, { sourceId });
      const again = await run(sourceId, path, sample.format);
      assert.deepEqual(again.totals, result.totals);
      const afterRows = await query<Record<string, unknown>>(`SELECT * FROM billing_lines WHERE source_id = {sourceId:String} ORDER BY source_line`, { sourceId });
      const strip = (rows: Record<string, unknown>[]) => rows.map(({ sync_run_id: _s, ingest_version: _v, ingested_at: _a, ...rest }) => rest);
      assert.deepEqual(strip(afterRows), strip(before as Record<string, unknown>[]));
    });
  }

  it('reads CSV.gz the same as CSV', async () => {
    const path = join(work, 'oracle.csv.gz');
    writeFileSync(path, gzipSync(readFileSync(join(DATASETS, 'focus-sample/focus-1.0_official_sample_oracle.csv'))));
    const result = await run(randomUUID(), path);
    assert.equal(result.rows, 7);
    assert.equal(result.totals[0].currency, 'USD');
  });
});
