import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeaderProblem, buildMapping, curColumnName, detectFormat, quoteColumn } from './billing-file.formats';
import { lineOfCsvRow, locateCsvProblem } from './csv-problem.locator';

describe('billing file formats', () => {
  it('maps legacy CUR headers onto CUR 2.0 names', () => {
    assert.equal(curColumnName('lineItem/UnblendedCost'), 'line_item_unblended_cost');
    assert.equal(curColumnName('savingsPlan/SavingsPlanEffectiveCost'), 'savings_plan_savings_plan_effective_cost');
    assert.equal(curColumnName('pricing/publicOnDemandCost'), 'pricing_public_on_demand_cost');
    assert.equal(curColumnName('line_item_unblended_cost'), 'line_item_unblended_cost');
  });

  it('detects the layout from the header', () => {
    assert.equal(detectFormat(['BilledCost', 'EffectiveCost', 'BillingCurrency', 'ChargePeriodStart', 'BillingPeriodStart', 'ServiceName']), 'focus');
    assert.equal(detectFormat(['EffectiveCost', 'BillingCurrency', 'ChargePeriodStart', 'BillingPeriodStart', 'ServiceName', 'ChargeCategory']), 'focus');
    assert.equal(detectFormat(['lineItem/UnblendedCost', 'bill/PayerAccountId']), 'aws-cur');
    assert.equal(detectFormat(['line_item_unblended_cost']), 'aws-cur');
    assert.equal(detectFormat(['Cost', 'MeterCategory', 'Date']), 'azure-actual');
    assert.equal(detectFormat(['a', 'b']), undefined);
  });

  it('names every missing mandatory column', () => {
    assert.throws(
      () => buildMapping('focus', ['EffectiveCost', 'BillingCurrency', 'ChargePeriodStart', 'BillingPeriodStart', 'ServiceName']),
      (e: unknown) => e instanceof HeaderProblem && e.missing.join('|') === 'BilledCost|ChargePeriodEnd|BillingPeriodEnd|BillingAccountId|ProviderName or ServiceProviderName',
    );
  });

  it('quotes header names from the file as identifiers', () => {
    assert.equal(quoteColumn('lineItem/UnblendedCost'), '`lineItem/UnblendedCost`');
    assert.equal(quoteColumn('a`b\\c'), '`a\\`b\\\\c`');
  });
});

describe('csv problem locator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-csv-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('finds broken quoting, stray quotes and wrong column counts on their physical line', async () => {
    assert.deepEqual(await locateCsvProblem(file('a.csv', 'a,b\n1,2\n"x"y,3\n')), { line: 3, reason: "unexpected 'y' after a closing quote" });
    assert.deepEqual(await locateCsvProblem(file('b.csv', 'a,b\n"multi\nline",2\n"never closed,3\n4,5\n')), { line: 4, reason: 'a quoted field is never closed' });
    assert.deepEqual(await locateCsvProblem(file('c.csv', 'a,b\r\n1,2\r\n1,2,3\r\n')), { line: 3, reason: '3 columns where the header has 2' });
    assert.deepEqual(await locateCsvProblem(file('d.csv', 'a,b\n1,x"y\n')), { line: 2, reason: 'a quote inside an unquoted field' });
    assert.equal(await locateCsvProblem(file('ok.csv', 'a,b\n"1 ""q""",2\n"x\ny",3\n')), undefined);
  });

  it('maps a data record to its line when quoted fields span lines', async () => {
    const path = file('m.csv', 'a,b\n"x\ny",1\n2,3\n');
    assert.equal(await lineOfCsvRow(path, 0), 2);
    assert.equal(await lineOfCsvRow(path, 1), 4);
  });
});
