import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { parse } from 'csv-parse/sync';
import { loadConfig } from '@tollgate/core';
import { Stores } from '@tollgate/storage';
import { BillingFileFormat, BillingInputError, BillingLedgerSync, ClickHouseFileAccess } from '@tollgate/billing';
import { ValidationError } from '@tollgate/core';
import { embeddedTarget, StoreTarget, tempDir } from '../support/test-env';
import { sharedDataset } from '../support/shared-datasets';

/**
 * The ledger against the real sample exports in ../shared/datasets/billing: every file ingests with totals per
 * provider, account, service, day and currency equal to the file's own sums (computed here with csv-parse, not with
 * the product's SQL), a re-sync changes nothing, a restated file replaces its period, and bad input fails the sync
 * naming the file and line with nothing committed.
 */
const DATASETS = sharedDataset('billing');
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'billing');
const ORACLE = join(DATASETS, 'focus-sample/focus-1.0_official_sample_oracle.csv');
const FOCUS_1000 = join(DATASETS, 'focus-sample/focus-1.0_official_focus_sample_1000.csv');

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

  it('reads Parquet (typed columns: floats, timestamps) the same as CSV', async () => {
    const csv = join(DATASETS, 'focus-sample/focus-1.0_official_sample_microsoft.csv');
    const parquet = join(work, 'microsoft.parquet');
    // ClickHouse writes the Parquet with typed columns, as exporters do: Float64 costs, DateTime charge periods, text tags.
    await stores.clickhouse.command({
      query: `INSERT INTO FUNCTION file({out:String}, 'Parquet')
              SELECT * REPLACE (toFloat64OrNull(toString(BilledCost)) AS BilledCost, toFloat64OrNull(toString(EffectiveCost)) AS EffectiveCost,
                                toFloat64OrNull(toString(ListCost)) AS ListCost, toFloat64OrNull(toString(ContractedCost)) AS ContractedCost,
                                parseDateTimeBestEffortOrNull(toString(ChargePeriodStart)) AS ChargePeriodStart, parseDateTimeBestEffortOrNull(toString(ChargePeriodEnd)) AS ChargePeriodEnd)
              FROM file({csv:String}, 'CSVWithNames')`,
      query_params: { out: parquet, csv },
    });
    const described = await query<{ name: string; type: string }>(`DESCRIBE file({p:String}, 'Parquet')`, { p: parquet });
    assert.match(described.find((c) => c.name === 'BilledCost')!.type, /Float64/);
    const sourceId = randomUUID();
    const result = await run(sourceId, parquet);
    assert.equal(result.rows, 51);
    const expected = expectedTotals(csv, focus);
    const actual = await ledgerTotals(sourceId, ['BilledCost', 'EffectiveCost']);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [key, sums] of expected) sums.forEach((sum, i) => assert.equal(new Decimal(actual.get(key)![i]).toFixed(2), sum.toFixed(2), key));
  });

  it('reads CUR 2.0 (Data Exports snake_case columns, resource_tags as a JSON map) with the same totals as the legacy CUR', async () => {
    const legacy = join(DATASETS, 'aws/aws-cur-legacy_focus_converters_sample-anonymous-aws-export-dataset.csv');
    const rows = parse(readFileSync(legacy), { columns: true, bom: true }) as Row[];
    // CUR 2.0 names are the legacy ones in snake_case: lineItem/UnblendedCost → line_item_unblended_cost.
    const snake = (h: string) => h.split('/').map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()).join('_');
    const headers = Object.keys(rows[0]);
    const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
    const lines = [
      [...headers.map(snake), 'resource_tags'].map(quote).join(','),
      ...rows.map((r, i) => [...headers.map((h) => r[h]), i % 2 === 0 ? '{"user_team": "search"}' : ''].map(quote).join(',')),
    ];
    const path = join(work, 'cur2.csv');
    writeFileSync(path, lines.join('\n') + '\n');
    const sourceId = randomUUID();
    const result = await run(sourceId, path);
    assert.equal(result.rows, 1281);
    const expected = expectedTotals(legacy, cur);
    const actual = await ledgerTotals(sourceId, ['BilledCost']);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [key, [sum]] of expected) assert.equal(new Decimal(actual.get(key)![0]).toFixed(2), sum.toFixed(2), key);
    const tags = await query<{ source_line: string; Tags: Record<string, string> }>(
      `SELECT source_line, Tags FROM billing_lines WHERE source_id = {sourceId:String} AND source_line IN (2, 3) ORDER BY source_line`,
      { sourceId },
    );
    assert.deepEqual(tags, [{ source_line: '2', Tags: { user_team: 'search' } }, { source_line: '3', Tags: {} }]);
  });

  it('with a ClickHouse server, copies files from elsewhere into the shared work directory and names them as the server sees them', async () => {
    // The "server" sees the work root through another path (as a volume mounted at another place would be).
    const workRoot = join(work, 'billing-work');
    const runDir = join(workRoot, 'run-1');
    mkdirSync(runDir, { recursive: true });
    const serverView = join(work, 'clickhouse-user-files');
    symlinkSync(workRoot, serverView);
    const access = new ClickHouseFileAccess(workRoot, { filesDir: serverView });
    const opened: string[] = [];
    const viaServer = new BillingLedgerSync(stores.clickhouse, (path) => {
      const seen = access.pathForClickHouse(path);
      opened.push(seen);
      return seen;
    });
    const elsewhere = join(DATASETS, 'focus-sample/focus-1.0_official_sample_oracle.csv');
    const files = await access.bringIntoReach([{ location: { kind: 'local', path: elsewhere }, name: 'oracle.csv' }], runDir);
    assert.equal(files[0].location.kind === 'local' && files[0].location.path, join(runDir, '0-focus-1.0_official_sample_oracle.csv'));
    assert.equal(files[0].name, 'oracle.csv');
    const result = await viaServer.sync({ sourceId: randomUUID(), sourceKind: 'local-files', syncRunId: randomUUID(), ingestVersion: Date.now(), files });
    assert.equal(result.rows, 7);
    assert.ok(opened.length > 0 && opened.every((p) => p === join(serverView, 'run-1', '0-focus-1.0_official_sample_oracle.csv')), opened.join());

    // A path outside the work root never reaches file(); without the shared directory the sync fails naming the setting.
    assert.throws(() => access.pathForClickHouse(join(workRoot, '..', 'secret.csv')), ValidationError);
    const unshared = new ClickHouseFileAccess(workRoot, {});
    await assert.rejects(unshared.bringIntoReach(files, runDir), (error: ValidationError) => error.problems[0].field === 'CLICKHOUSE_FILES_DIR');
    // chDB (no server) reads every path where it is.
    const embedded = new ClickHouseFileAccess(workRoot);
    assert.deepEqual((await embedded.bringIntoReach([{ location: { kind: 'local', path: elsewhere }, name: 'x' }], runDir))[0].location, { kind: 'local', path: elsewhere });
    assert.equal(embedded.pathForClickHouse(elsewhere), elsewhere);
    assert.ok(existsSync(join(runDir, '0-focus-1.0_official_sample_oracle.csv')));
  });

  it('reads CSV.gz the same as CSV', async () => {
    const path = join(work, 'oracle.csv.gz');
    writeFileSync(path, gzipSync(readFileSync(join(DATASETS, 'focus-sample/focus-1.0_official_sample_oracle.csv'))));
    const result = await run(randomUUID(), path);
    assert.equal(result.rows, 7);
    assert.equal(result.totals[0].currency, 'USD');
  });

  it('labels AI lines (Bedrock, Azure OpenAI, Vertex AI, GPU instances) with model and usage type, and keeps tags as a map', async () => {
    const sourceId = randomUUID();
    const result = await run(sourceId, join(FIXTURES, 'focus-1.2-ai-lines.csv'));
    assert.equal(result.rows, 7);
    assert.deepEqual(
      result.totals.map((t) => [t.period, t.currency, t.rows, new Decimal(t.billedCost).toFixed(6)]),
      [
        ['2025-05-01', 'EUR', 1, '4.200000'],
        ['2025-05-01', 'USD', 6, '139.922679'],
      ],
    );
    const lines = await query<Record<string, unknown>>(
      `SELECT source_line, ServiceName, ai_service, ai_model, usage_type, Tags FROM billing_lines WHERE source_id = {sourceId:String} ORDER BY source_line`,
      { sourceId },
    );
    assert.deepEqual(
      lines.map((l) => [l.source_line, l.ai_service, l.ai_model, l.usage_type]),
      [
        ['2', 'bedrock', 'claude3.5sonnet', 'input_tokens'],
        ['3', 'bedrock', 'claude3.5sonnet', 'output_tokens'],
        ['4', 'azure_openai', 'gpt-4o-0513', 'input_tokens'],
        ['5', 'vertex_ai', 'gemini-1.5-flash', 'output_tokens'],
        ['6', 'gpu_instance', '', 'instance_hours'],
        ['7', '', '', ''],
        ['8', 'bedrock', '', 'other'],
      ],
    );
    assert.deepEqual(lines[0].Tags, { team: 'search', feature: 'answers' });
    assert.deepEqual(lines[5].Tags, {});
  });

  it('labels nothing as AI in the real FOCUS sample except its GPU instance hours', async () => {
    const sourceId = randomUUID();
    await run(sourceId, FOCUS_1000);
    const labelled = await query<{ ai_service: string; usage_type: string; n: string; gpu: string }>(
      `SELECT ai_service, usage_type, toString(count()) AS n, toString(countIf(match(ChargeDescription, ' g[456][a-z]*[.]'))) AS gpu
       FROM billing_lines WHERE source_id = {sourceId:String} AND ai_service != '' GROUP BY ai_service, usage_type`,
      { sourceId },
    );
    assert.deepEqual(labelled, [{ ai_service: 'gpu_instance', usage_type: 'instance_hours', n: '8', gpu: '8' }]);
  });

  describe('bad input fails the sync naming the file and line, and commits nothing from it', () => {
    const lines = () => readFileSync(ORACLE, 'utf8').split('\n');
    const write = (name: string, content: string) => {
      const path = join(work, name);
      writeFileSync(path, content);
      return path;
    };
    const cases: { name: string; make: () => string; message: RegExp }[] = [
      {
        name: 'wrong-header.csv',
        make: () => lines().map((l, i) => (i === 0 ? l.replace('"BilledCost"', '"BilledCosts"') : l)).join('\n'),
        message: /^wrong-header\.csv line 1: header: not a FOCUS header: missing column BilledCost$/,
      },
      {
        name: 'broken-quoting.csv',
        make: () => lines().map((l, i) => (i === 4 ? l.replace('"Standard', '"Stan"dard') : l)).join('\n'),
        message: /^broken-quoting\.csv line 5: csv: unexpected 'd' after a closing quote$/,
      },
      {
        name: 'non-numeric-cost.csv',
        make: () => lines().map((l, i) => (i === 6 ? l.replace(/^("[^"]*"),"[^"]*"/, '$1,"12,5 USD"') : l)).join('\n'),
        message: /^non-numeric-cost\.csv line 7: BilledCost: not a number: '12,5 USD' in column BilledCost$/,
      },
      {
        name: 'unknown-currency.csv',
        make: () => lines().map((l, i) => (i === 3 ? l.replace(',"USD",', ',"XYZ",') : l)).join('\n'),
        message: /^unknown-currency\.csv line 4: BillingCurrency: unknown currency 'XYZ'$/,
      },
      {
        name: 'empty-effective-cost.csv',
        make: () => lines().map((l, i) => (i === 2 ? l.replace(/,"0\.00000000000","Oracle",/, ',"NULL","Oracle",') : l)).join('\n'),
        message: /^empty-effective-cost\.csv line 3: EffectiveCost: empty EffectiveCost$/,
      },
    ];
    let sourceId: string;
    let committed: unknown[];
    before(async () => {
      sourceId = randomUUID();
      await run(sourceId, ORACLE);
      committed = await query(`SELECT * FROM billing_lines WHERE source_id = {sourceId:String} ORDER BY source_line`, { sourceId });
      assert.equal(committed.length, 7);
    });
    for (const c of cases) {
      it(c.name, async () => {
        const path = write(c.name, c.make());
        await assert.rejects(run(sourceId, path), (error: unknown) => {
          assert.ok(error instanceof BillingInputError, String(error));
          assert.match(error.message, c.message);
          return true;
        });
        assert.deepEqual(await query(`SELECT * FROM billing_lines WHERE source_id = {sourceId:String} ORDER BY source_line`, { sourceId }), committed);
        assert.deepEqual(await query(`SELECT count() AS n FROM billing_lines_staging WHERE source_id = {sourceId:String}`, { sourceId }), [{ n: '0' }]);
      });
    }
  });

  describe('restatement', () => {
    const september = '2024-09-01';
    const october = '2024-10-01';
    let restated: string;
    let septemberOnly: string;
    before(() => {
      // A restated September: every September BilledCost doubled, October lines left out of the file.
      const rows = readFileSync(FOCUS_1000, 'utf8').split('\n');
      const header = rows[0];
      const sept = rows.slice(1).filter((l) => l.includes('"2024-10-01 00:00:00","2024-09-01 00:00:00"'));
      restated = join(work, 'restated.csv');
      writeFileSync(restated, [header, ...sept.map((l) => l.replace(/^(NULL|"[^"]*"),"?(-?[0-9.]+)"?,/, (_m, az, cost) => `${az},${new Decimal(cost).times(2).toFixed(11)},`))].join('\n'));
      septemberOnly = join(work, 'september.csv');
      writeFileSync(septemberOnly, [header, ...sept].join('\n'));
    });

    const periodTotals = async (sourceId: string) =>
      Object.fromEntries(
        (await query<{ period: string; billed: string; n: string }>(
          `SELECT toString(billing_period) AS period, toString(sum(BilledCost)) AS billed, toString(count()) AS n FROM billing_lines
           WHERE source_id = {sourceId:String} GROUP BY period ORDER BY period`,
          { sourceId },
        )).map((r) => [r.period, `${r.n}:${r.billed}`]),
      );

    it('replaces only the re-synced period, empties a declared period the restated export no longer has, and refuses lines outside the declared periods', async () => {
      const sourceId = randomUUID();
      await run(sourceId, FOCUS_1000);
      const original = await periodTotals(sourceId);
      assert.deepEqual(Object.keys(original), [september, october]);

      await run(sourceId, restated, undefined, { periods: [september] });
      const afterSeptember = await periodTotals(sourceId);
      assert.equal(afterSeptember[october], original[october]);
      const [n0, billed0] = original[september].split(':');
      const [n1, billed1] = afterSeptember[september].split(':');
      assert.equal(n1, n0);
      assert.equal(new Decimal(billed1).toFixed(10), new Decimal(billed0).times(2).toFixed(10));

      await run(sourceId, septemberOnly, undefined, { periods: [september, october] });
      assert.deepEqual(await periodTotals(sourceId), { [september]: original[september] });

      await assert.rejects(run(sourceId, FOCUS_1000, undefined, { periods: [september], name: 'both-months.csv' }), /both-months\.csv line \d+: BillingPeriodStart: billing period 2024-10 is outside the synced period\(s\) 2024-09/);
      assert.deepEqual(await periodTotals(sourceId), { [september]: original[september] });
    });

    it('never shows a reader a doubled or missing period while it is being restated', async () => {
      const sourceId = randomUUID();
      await run(sourceId, septemberOnly, undefined, { periods: [september] });
      const a = (await periodTotals(sourceId))[september];
      await run(sourceId, restated, undefined, { periods: [september] });
      const b = (await periodTotals(sourceId))[september];
      assert.notEqual(a, b);
      let syncing = true;
      const seen = new Set<string>();
      const reader = (async () => {
        while (syncing) seen.add((await periodTotals(sourceId))[september] ?? 'missing');
      })();
      for (let i = 0; i < 4; i++) await run(sourceId, i % 2 === 0 ? septemberOnly : restated, undefined, { periods: [september] });
      syncing = false;
      await reader;
      assert.ok(seen.size >= 1);
      for (const observed of seen) assert.ok(observed === a || observed === b, `reader saw ${observed}`);
    });
  });
});
