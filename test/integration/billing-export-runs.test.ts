import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Decimal from 'decimal.js';
import { parse } from 'csv-parse/sync';
import { QueueEvents } from 'bullmq';
import { apiStarter } from '../../apps/api/src';
import { workerStarter } from '../../apps/worker/src';
import { RunningProcess, launch } from '@tollgate/runtime';
import { QueueName } from '@tollgate/storage';
import { StoreTarget, storeTargets, tempDir } from '../support/test-env';
import { FakeS3Server } from '../support/fake-s3.server';
import { FakeAzureBlobServer } from '../support/fake-azure-blob.server';
import { FakeBigQueryServer } from '../support/fake-bigquery.server';
import { sharedDataset } from '../support/shared-datasets';
import { adminAuth } from '../support/api-auth';

/**
 * Export runs as the clouds deliver them: a restated export beside (or after) the original never doubles a period.
 * AWS Data Exports overwrite a period and say what is current in a manifest per period; Azure writes a run folder
 * with a `manifest.json` per export run; without a manifest the newest file per period wins. Local, S3 and Azure
 * Blob sources, each checked against one period's worth computed here from the files. And a BigQuery export read
 * page by page: every page read, the total exact.
 */
const DATASETS = sharedDataset('billing');
const ORACLE = join(DATASETS, 'focus-sample/focus-1.0_official_sample_oracle.csv');
const MICROSOFT = join(DATASETS, 'focus-sample/focus-1.0_official_sample_microsoft.csv');
const original = readFileSync(ORACLE, 'utf8');
/** The Oracle sample restated: one line's cost corrected, as a later export of the same account and periods would. */
const restated = original.replace('"0.01200000000","20209880"', '"1.01200000000","20209880"');
const sum = (csv: string, column = 'BilledCost') =>
  (parse(csv, { columns: true, bom: true }) as Record<string, string>[]).reduce((s, r) => s.plus(r[column] === 'NULL' || r[column] === '' ? 0 : r[column]), new Decimal(0));
const T1 = new Date('2024-10-02T00:00:00Z');
const T2 = new Date('2024-10-05T00:00:00Z');

for (const factory of storeTargets) {
  describe(`billing export runs on ${factory.name} stores`, () => {
    let target: StoreTarget;
    let app: RunningProcess;
    let api: string;
    let events: QueueEvents;
    const roots = tempDir('tollgate-billing-exports-');
    const s3 = new FakeS3Server('billing-exports');
    const blob = new FakeAzureBlobServer('finopsexports', 'cost-exports');
    const ROWS = 100_000;
    const PAGE = 5_000;
    const S = (name: string, type = 'STRING') => ({ name, type, mode: 'NULLABLE' as const });
    const bigquery = new FakeBigQueryServer(
      [
        S('billing_account_id'), S('service'), S('sku_id'), S('sku_description'), S('project_id'), S('project_name'), S('region'),
        S('usage_start_time', 'TIMESTAMP'), S('usage_end_time', 'TIMESTAMP'), S('invoice_month'), S('cost_type'), S('currency'),
        S('cost', 'FLOAT'), S('cost_at_list', 'FLOAT'), S('usage_amount', 'FLOAT'), S('usage_unit'), S('pricing_amount', 'FLOAT'), S('pricing_unit'),
        { name: 'credits', type: 'RECORD', mode: 'REPEATED', fields: [S('name'), S('amount', 'FLOAT')] },
        { name: 'labels', type: 'RECORD', mode: 'REPEATED', fields: [S('key'), S('value')] },
      ],
      {
        count: ROWS,
        row: (i) => ({
          billing_account_id: '01A2B3-C4D5E6-F70819', service: 'Compute Engine', sku_id: `SKU-${i % 97}`, sku_description: 'N2 Instance Core', project_id: 'p-1', project_name: 'p', region: 'us-central1',
          usage_start_time: `2025-05-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`, usage_end_time: `2025-05-${String((i % 28) + 1).padStart(2, '0')}T11:00:00Z`,
          invoice_month: '202505', cost_type: 'regular', currency: 'USD', cost: `${i % 1000}.${String(i % 997).padStart(3, '0')}`, cost_at_list: null,
          usage_amount: '1', usage_unit: 'seconds', pricing_amount: '1', pricing_unit: 'hour', credits: [], labels: [],
        }),
      },
      PAGE,
    );

    before(async () => {
      await s3.start();
      await blob.start();
      await bigquery.start();
      target = await factory.create();
      app = await launch({ ...target.env, BILLING_EGRESS_ALLOWED_HOSTS: 'default,127.0.0.1', BILLING_LOCAL_ROOTS: roots }, [apiStarter, workerStarter]);
      api = app.urls.api;
      events = app.stores.queues.events(QueueName.BillingSync);
      await events.waitUntilReady();
    });
    after(async () => {
      await app?.stop();
      await target?.cleanup();
      await bigquery.stop();
      await blob.stop();
      await s3.stop();
      rmSync(roots, { recursive: true, force: true });
    });

    const json = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api}${path}`, { method, headers: adminAuth({ 'content-type': 'application/json' }), body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    };
    const billed = async (sourceId: string) => {
      const result = await app.stores.clickhouse.query({
        query: 'SELECT toString(count()) AS n, toString(sum(BilledCost)) AS billed FROM billing_lines WHERE source_id = {sourceId:String}',
        query_params: { sourceId },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ n: string; billed: string }>();
      return { n: Number(row.n), billed: new Decimal(row.billed).toFixed(6) };
    };
    const createAndSync = async (body: Record<string, unknown>, sync: Record<string, unknown> = {}) => {
      const created = await json('POST', '/v1/billing/sources', body);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const res = await json('POST', `/v1/billing/sources/${created.body.id}/sync`, sync);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const job = await app.stores.queues.queue(QueueName.BillingSync).getJob(res.body.jobId);
      await job!.waitUntilFinished(events, 180_000).catch(() => undefined);
      const [run] = (await json('GET', `/v1/billing/sources/${created.body.id}/runs`)).body.data;
      return { id: created.body.id as string, run };
    };

    it('a local folder holding an original and a restated export counts the period once: the newest file wins', async () => {
      const dir = join(roots, 'focus');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'oracle-original.csv'), original);
      writeFileSync(join(dir, 'oracle-restated.csv'), restated);
      writeFileSync(join(dir, 'microsoft.csv'), readFileSync(MICROSOFT));
      utimesSync(join(dir, 'oracle-original.csv'), T1, T1);
      utimesSync(join(dir, 'oracle-restated.csv'), T2, T2);
      const { id, run } = await createAndSync({ name: 'local-restated', kind: 'local-files', settings: { path: dir } });
      assert.equal(run.status, 'succeeded', run.error);
      // Microsoft's lines share a period with Oracle's but are another account's: both kept; Oracle's only once.
      assert.deepEqual(await billed(id), { n: 7 + 51, billed: sum(restated).plus(sum(readFileSync(MICROSOFT, 'utf8'))).toFixed(6) });
    });

    it('a local copy of Azure export runs reads only the newest run of the period, by its manifest.json', async () => {
      const base = join(roots, 'azure', 'daily', '20240901-20240930');
      for (const [run, csv, submitted] of [['0f7e2a9c-1111-4a5b-8c9d-000000000001', original, T1], ['0f7e2a9c-2222-4a5b-8c9d-000000000002', restated, T2]] as const) {
        mkdirSync(join(base, run), { recursive: true });
        writeFileSync(join(base, run, 'part_0_0001.csv'), csv);
        writeFileSync(join(base, run, 'manifest.json'), JSON.stringify(azureManifest(`daily/20240901-20240930/${run}`, run, submitted)));
      }
      const { id, run } = await createAndSync({ name: 'local-azure-runs', kind: 'local-files', settings: { path: join(roots, 'azure') } });
      assert.equal(run.status, 'succeeded', run.error);
      assert.deepEqual(run.inputs.map((p: string) => p.slice(base.length + 1)), ['0f7e2a9c-2222-4a5b-8c9d-000000000002/part_0_0001.csv']);
      assert.deepEqual(await billed(id), { n: 7, billed: sum(restated).toFixed(6) });
    });

    it('S3: an AWS Data Exports manifest per period names the current files; without one, the newest file per period wins', async () => {
      s3.put('exp/focus/data/BILLING_PERIOD=2024-09/focus-00001.csv', restated, T2);
      s3.put('exp/focus/data/BILLING_PERIOD=2024-09/focus-old-00001.csv', original, T1);
      s3.put('exp/focus/metadata/BILLING_PERIOD=2024-09/focus-Manifest.json', JSON.stringify({
        executionId: '5f3c', exportArn: 'arn:aws:bcm-data-exports:us-east-1:123456789012:export/focus',
        dataFiles: ['s3://billing-exports/exp/focus/data/BILLING_PERIOD=2024-09/focus-00001.csv'],
      }), T2);
      const settings = { bucket: 'billing-exports', region: 'us-east-1', endpoint: s3.url, forcePathStyle: true };
      const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' };
      const manifest = await createAndSync({ name: 's3-manifest', kind: 's3-files', settings: { ...settings, prefix: 'exp/' }, credentials });
      assert.equal(manifest.run.status, 'succeeded', manifest.run.error);
      assert.deepEqual(manifest.run.inputs, ['s3://billing-exports/exp/focus/data/BILLING_PERIOD=2024-09/focus-00001.csv']);
      assert.deepEqual(await billed(manifest.id), { n: 7, billed: sum(restated).toFixed(6) });

      s3.put('raw/oracle.csv', original, T1);
      s3.put('raw/oracle-restated.csv', restated, T2);
      const newest = await createAndSync({ name: 's3-newest', kind: 's3-files', settings: { ...settings, prefix: 'raw/' }, credentials });
      assert.equal(newest.run.status, 'succeeded', newest.run.error);
      assert.deepEqual(await billed(newest.id), { n: 7, billed: sum(restated).toFixed(6) });
    });

    it('Azure Blob: each export run folder has a manifest.json; the newest run of the period is the one read', async () => {
      for (const [run, csv, submitted] of [['a1b2c3d4-0000-4000-8000-000000000001', original, T1], ['a1b2c3d4-0000-4000-8000-000000000002', restated, T2]] as const) {
        const folder = `exports/daily/20240901-20240930/${run}`;
        blob.put(`${folder}/part_0_0001.csv`, csv, submitted);
        blob.put(`${folder}/manifest.json`, JSON.stringify(azureManifest(folder, run, submitted)), submitted);
      }
      const { id, run } = await createAndSync({ name: 'azure-runs', kind: 'azure-blob-files', settings: { container: 'cost-exports', prefix: 'exports/' }, credentials: { connectionString: blob.connectionString } });
      assert.equal(run.status, 'succeeded', run.error);
      assert.deepEqual(run.inputs, [`${blob.url}/finopsexports/cost-exports/exports/daily/20240901-20240930/a1b2c3d4-0000-4000-8000-000000000002/part_0_0001.csv`]);
      assert.deepEqual(await billed(id), { n: 7, billed: sum(restated).toFixed(6) });
    });

    it('BigQuery: a large export month is read page by page (getQueryResults pageToken), every page, the total exact', async () => {
      const { id, run } = await createAndSync({
        name: 'gcp-large',
        kind: 'gcp-bigquery',
        settings: { projectId: 'finops-test', table: 'finops-test.billing.gcp_billing_export_v1_LARGE', apiEndpoint: bigquery.url, restatementMonths: 0 },
        credentials: { accessToken: bigquery.token },
      }, { period: '2025-05' });
      assert.equal(run.status, 'succeeded', run.error);
      assert.equal(run.rows, ROWS);
      assert.equal(bigquery.largestPage, PAGE);
      assert.equal(bigquery.requests.filter((r) => r.method === 'GET').length, ROWS / PAGE - 1);
      let expected = new Decimal(0);
      for (let i = 0; i < ROWS; i++) expected = expected.plus(`${i % 1000}.${String(i % 997).padStart(3, '0')}`);
      assert.deepEqual(await billed(id), { n: ROWS, billed: expected.toFixed(6) });

      const injected = await json('POST', '/v1/billing/sources', { name: 'gcp-injected', kind: 'gcp-bigquery', settings: { projectId: 'p', table: 'finops-test.billing.t` WHERE 1=1 --', apiEndpoint: bigquery.url } });
      assert.equal(injected.status, 400);
      assert.deepEqual(injected.body.error.problems.map((p: any) => p.field), ['settings.table']);
    });
  });
}

/** Azure's per-run export manifest (manifestVersion 2024-04-01 layout): the run's blobs and when it was submitted. */
function azureManifest(folder: string, runId: string, submitted: Date) {
  return {
    manifestVersion: '2024-04-01',
    byteCount: 1,
    blobCount: 1,
    dataRowCount: 7,
    exportConfig: { exportName: 'daily', type: 'FocusCost', timeFrame: 'BillingMonthToDate', granularity: 'Daily' },
    deliveryConfig: { partitionData: true, dataOverwriteBehavior: 'CreateNewReport', fileFormat: 'Csv', compressionMode: 'None' },
    runInfo: { executionType: 'Scheduled', submittedTime: submitted.toISOString(), runId, startDate: '2024-09-01T00:00:00', endDate: '2024-09-30T00:00:00' },
    blobs: [{ blobName: `${folder}/part_0_0001.csv`, byteCount: 1, dataRowCount: 7 }],
  };
}
