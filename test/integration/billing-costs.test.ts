import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Decimal from 'decimal.js';
import { parse } from 'csv-parse/sync';
import { apiStarter } from '../../apps/api/src';
import { ForbiddenError } from '@tollgate/core';
import { LedgerCostsService, ledgerCostsSchema, parseLedgerCostsQuery } from '@tollgate/billing';
import { RunningProcess, launch } from '@tollgate/runtime';
import { embeddedTarget, StoreTarget } from '../support/test-env';
import { sharedDataset } from '../support/shared-datasets';
import { adminAuth } from '../support/api-auth';

/**
 * What a finance user checks against an invoice: real exports uploaded through the api, then GET /v1/billing/costs per
 * billing account and billing period equals each file's own sums, computed here from the CSV with csv-parse and
 * decimal.js, independently of Tollgate's mapping.
 */
const DATASETS = sharedDataset('billing');
const FOCUS = join(DATASETS, 'focus-sample/focus-1.0_official_focus_sample_1000.csv');
const CUR = join(DATASETS, 'aws/aws-cur-legacy_focus_converters_sample-anonymous-aws-export-dataset.csv');
const AZURE = join(DATASETS, 'azure/azure-ea-actualcost_finops-toolkit_EA_ActualCost_Small.csv');

type Sums = Map<string, Decimal>;
/** Sum of `cost` per `account | YYYY-MM-01 | currency`, from the file alone. */
function fileSums(path: string, columns: { account: string; period: (row: Record<string, string>) => string; currency: string; cost: string }): Sums {
  const rows = parse(readFileSync(path), { columns: true, bom: true }) as Record<string, string>[];
  const sums: Sums = new Map();
  for (const row of rows) {
    const key = `${row[columns.account]}|${columns.period(row)}|${row[columns.currency]}`;
    const value = row[columns.cost] === '' || row[columns.cost] === 'NULL' ? '0' : row[columns.cost];
    sums.set(key, (sums.get(key) ?? new Decimal(0)).plus(value));
  }
  return sums;
}
const isoMonth = (row: Record<string, string>, column: string) => `${row[column].slice(0, 7)}-01`;
const usMonth = (v: string) => {
  const [m, , y] = v.split('/');
  return `${y}-${m.padStart(2, '0')}-01`;
};
const cents = (sums: Sums) => new Map([...sums].map(([k, v]) => [k, v.toFixed(2)]));

describe('GET /v1/billing/costs: the ledger read back', () => {
  let target: StoreTarget;
  let running: RunningProcess;
  let api: string;

  const upload = async (source: string, file: string, format?: string) => {
    const qs = new URLSearchParams({ source, filename: file.split('/').pop()!, ...(format ? { format } : {}) });
    const res = await fetch(`${api}/v1/billing/uploads?${qs}`, { method: 'POST', headers: adminAuth({ 'content-type': 'text/csv' }), body: readFileSync(file) });
    const run = (await res.json()) as any;
    assert.equal(res.status, 201, JSON.stringify(run));
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
  };
  const costs = async (qs: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api}/v1/billing/costs?${qs}`, { headers: adminAuth(headers) });
    return { status: res.status, headers: res.headers, body: (res.headers.get('content-type') ?? '').startsWith('application/json') ? ((await res.json()) as any) : await res.text() };
  };
  /** The api's billed (or effective) cost per account | period | currency, to the cent. */
  const apiSums = async (qs: string, measure: 'billed_cost' | 'effective_cost' = 'billed_cost') => {
    const res = await costs(`group_by=billing_account&${qs}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(ledgerCostsSchema.parse(res.body), res.body, 'the documented schema describes the answer');
    return new Map<string, string>(res.body.rows.map((r: any) => [`${r.group.billing_account}|${r.bucket}|${r.currency}`, new Decimal(r[measure]).toFixed(2)]));
  };

  before(async () => {
    target = await embeddedTarget.create();
    running = await launch(target.env, [apiStarter]);
    api = running.urls.api;
    await upload('focus-sample', FOCUS);
    await upload('aws-cur', CUR);
    await upload('azure-ea', AZURE, 'azure-actual');
  });
  after(async () => {
    await running?.stop();
    await target?.cleanup();
  });

  it('per billing account and billing period equals each file\'s own sums to the cent', async () => {
    const focus = fileSums(FOCUS, { account: 'BillingAccountId', period: (r) => isoMonth(r, 'BillingPeriodStart'), currency: 'BillingCurrency', cost: 'BilledCost' });
    const cur = fileSums(CUR, { account: 'bill/PayerAccountId', period: (r) => isoMonth(r, 'bill/BillingPeriodStartDate'), currency: 'lineItem/CurrencyCode', cost: 'lineItem/UnblendedCost' });
    const azure = fileSums(AZURE, { account: 'BillingAccountId', period: (r) => usMonth(r.BillingPeriodStartDate), currency: 'BillingCurrency', cost: 'Cost' });
    assert.deepEqual(await apiSums(`from=2024-09&to=2024-11&source=${await sourceId('focus-sample')}`), cents(focus));
    assert.deepEqual(await apiSums(`from=2023-11&to=2023-12&source=${await sourceId('aws-cur')}`), cents(cur));
    assert.deepEqual(await apiSums(`from=2023-09&to=2023-10&source=${await sourceId('azure-ea')}`), cents(azure));
    // All three at once: the accounts do not overlap, so the union of the files' sums.
    assert.deepEqual(await apiSums('from=2023-01&to=2025-01'), new Map([...cents(focus), ...cents(cur), ...cents(azure)]));
    const effective = fileSums(FOCUS, { account: 'BillingAccountId', period: (r) => isoMonth(r, 'BillingPeriodStart'), currency: 'BillingCurrency', cost: 'EffectiveCost' });
    assert.deepEqual(await apiSums(`from=2024-09&to=2024-11&source=${await sourceId('focus-sample')}`, 'effective_cost'), cents(effective));
  });

  it('never doubles a period that is uploaded again: the ledger replaces it', async () => {
    const before = await costs('from=2023-11&to=2023-12&group_by=billing_account');
    await upload('aws-cur', CUR);
    const again = await costs('from=2023-11&to=2023-12&group_by=billing_account');
    assert.deepEqual(again.body, before.body);
    assert.equal(again.body.rows.length, 1);
    assert.equal(again.body.rows[0].lines, 1281);

    // A restated export with fewer lines replaces the period; the full one, uploaded again, brings it back.
    const part = readFileSync(CUR, 'utf8').split('\n').slice(0, 701).join('\n') + '\n';
    const restated = await fetch(`${api}/v1/billing/uploads?source=aws-cur&filename=cur-restated.csv`, { method: 'POST', headers: adminAuth({ 'content-type': 'text/csv' }), body: part });
    assert.equal(restated.status, 201, await restated.clone().text());
    const partRows = parse(part, { columns: true }) as Record<string, string>[];
    const partSum = partRows.reduce((s, r) => s.plus(r['lineItem/UnblendedCost'] || 0), new Decimal(0));
    const replaced = await costs('from=2023-11&to=2023-12&group_by=billing_account');
    assert.deepEqual([replaced.body.rows.length, replaced.body.rows[0].lines, new Decimal(replaced.body.rows[0].billed_cost).toFixed(2)], [1, 700, partSum.toFixed(2)]);
    await upload('aws-cur', CUR);
    assert.deepEqual((await costs('from=2023-11&to=2023-12&group_by=billing_account')).body, before.body);
  });

  it('sums each currency on its own, never across currencies', async () => {
    const oracle = join(DATASETS, 'focus-sample/focus-1.0_official_sample_oracle.csv');
    const lines = readFileSync(oracle, 'utf8').replaceAll('"20209880"', '"mixed-account"').split('\n');
    // Every other line billed in EUR.
    const mixed = lines.map((l, i) => (i > 0 && i % 2 === 0 ? l.replace(',"USD",', ',"EUR",') : l)).join('\n');
    const res = await fetch(`${api}/v1/billing/uploads?source=mixed-currency&filename=mixed.csv`, { method: 'POST', headers: adminAuth({ 'content-type': 'text/csv' }), body: mixed });
    assert.equal(res.status, 201, await res.clone().text());
    const rows = parse(mixed, { columns: true, bom: true }) as Record<string, string>[];
    const expected = new Map<string, Decimal>();
    for (const r of rows) {
      const key = `mixed-account|${isoMonth(r, 'BillingPeriodStart')}|${r.BillingCurrency}`;
      expected.set(key, (expected.get(key) ?? new Decimal(0)).plus(r.BilledCost));
    }
    assert.deepEqual(new Set([...expected.keys()].map((k) => k.split('|')[2])), new Set(['EUR', 'USD']));
    assert.deepEqual(await apiSums('from=2024-01&to=2025-01&billing_account=mixed-account'), cents(expected));
  });

  it('groups by service, charge category, provider, tag and day, with filters', async () => {
    const focusSource = await sourceId('focus-sample');
    const byService = await costs(`from=2024-09&to=2024-10&source=${focusSource}&group_by=provider,service&provider=Microsoft`);
    assert.equal(byService.status, 200, JSON.stringify(byService.body));
    const rows = parse(readFileSync(FOCUS), { columns: true, bom: true }) as Record<string, string>[];
    const microsoft = rows.filter((r) => r.ProviderName === 'Microsoft' && r.BillingPeriodStart.startsWith('2024-09'));
    const expected = new Map<string, Decimal>();
    for (const r of microsoft) expected.set(r.ServiceName, (expected.get(r.ServiceName) ?? new Decimal(0)).plus(r.BilledCost === 'NULL' ? 0 : r.BilledCost));
    assert.deepEqual(
      new Map(byService.body.rows.map((r: any) => [r.group.service, new Decimal(r.billed_cost).toFixed(8)])),
      new Map([...expected].map(([k, v]) => [k, v.toFixed(8)])),
    );
    assert.ok(byService.body.rows.every((r: any) => r.group.provider === 'Microsoft' && r.currency === 'USD'));

    const byDay = await costs(`from=2024-09-01&to=2024-10-01&grain=day&source=${focusSource}`);
    const dayTotal = byDay.body.rows.reduce((s: Decimal, r: any) => s.plus(r.billed_cost), new Decimal(0));
    const charged = rows.filter((r) => r.ChargePeriodStart.startsWith('2024-09')).reduce((s, r) => s.plus(r.BilledCost === 'NULL' ? 0 : r.BilledCost), new Decimal(0));
    assert.equal(dayTotal.toFixed(8), charged.toFixed(8));
    assert.ok(byDay.body.rows.every((r: any) => /^2024-09-\d{2}$/.test(r.bucket)));

    const names = await costs(`from=2024-09&to=2024-11&source=${focusSource}&group_by=billing_account,billing_account_name`);
    assert.deepEqual(
      new Set(names.body.rows.map((r: any) => `${r.group.billing_account}|${r.group.billing_account_name}`)),
      new Set(rows.map((r) => `${r.BillingAccountId}|${r.BillingAccountName === 'NULL' ? '' : r.BillingAccountName}`)),
    );

    const byCategory = await costs(`from=2023-01&to=2025-01&group_by=charge_category`);
    assert.ok(byCategory.body.rows.some((r: any) => r.group.charge_category === 'Usage'));
    // By tag: the file's own sums per value of its `environment` tag ('' for lines without it).
    const byTag = await costs(`from=2024-09&to=2024-11&source=${focusSource}&group_by=tag:environment&tag:environment=dev,prod`);
    assert.equal(byTag.status, 200, JSON.stringify(byTag.body));
    const tagSums = new Map<string, Decimal>();
    for (const r of rows) {
      const value = r.Tags && r.Tags !== 'NULL' ? (JSON.parse(r.Tags) as Record<string, string>).environment : undefined;
      if (value === 'dev' || value === 'prod') tagSums.set(value, (tagSums.get(value) ?? new Decimal(0)).plus(r.BilledCost === 'NULL' ? 0 : r.BilledCost));
    }
    const byValue = new Map<string, Decimal>();
    for (const r of byTag.body.rows) byValue.set(r.group['tag:environment'], (byValue.get(r.group['tag:environment']) ?? new Decimal(0)).plus(r.billed_cost));
    assert.deepEqual(new Map([...byValue].map(([k, v]) => [k, v.toFixed(8)])), new Map([...tagSums].map(([k, v]) => [k, v.toFixed(8)])));
    // A tag key is a value, never SQL: a key with quotes is just a key nobody used.
    const tag = await costs(`from=2023-01&to=2025-01&group_by=${encodeURIComponent("tag:x') OR 1=1 --")}`);
    assert.equal(tag.status, 200);
    assert.ok(tag.body.rows.every((r: any) => r.group["tag:x') OR 1=1 --"] === ''));
  });

  it('answers CSV with Accept: text/csv', async () => {
    const res = await costs(`from=2023-11&to=2023-12&group_by=billing_account`, { accept: 'text/csv' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    const [row] = parse(res.body as string, { columns: true }) as Record<string, string>[];
    assert.deepEqual([row.bucket, row.billing_account, row.currency, row.lines], ['2023-11-01', '123412340534', 'USD', '1281']);
    assert.equal(new Decimal(row.billed_cost).toFixed(2), '1.68');
  });

  it('refuses bad parameters with a 400 naming each, and a team-limited principal with a 403', async () => {
    const bad = await costs('from=2024-09&group_by=service,colour&grain=week&colour=red');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.problems.map((p: any) => p.field).sort(), ['colour', 'grain', 'group_by', 'to']);
    const unaligned = await costs('from=2024-09-15&to=2024-10');
    assert.deepEqual(unaligned.body.error.problems.map((p: any) => p.field), ['from']);
    const service = new LedgerCostsService(running.stores.clickhouse);
    await assert.rejects(service.query(parseLedgerCostsQuery({ from: '2024-09', to: '2024-10' }), ['search']), ForbiddenError);
  });

  async function sourceId(name: string): Promise<string> {
    const list = (await (await fetch(`${api}/v1/billing/sources`, { headers: adminAuth() })).json()) as { data: { id: string; name: string }[] };
    const source = list.data.find((s) => s.name === name);
    assert.ok(source, name);
    return source.id;
  }
});
