import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@tollgate/core';
import { FileNameGlob } from '../files/file-name.glob';
import { ListedObject, selectExportFiles } from './export-run.selector';

const at = (iso: string) => Date.parse(iso);
const reader = (docs: Record<string, unknown>) => async (key: string) => (key in docs ? JSON.stringify(docs[key]) : '{}');

describe('export run selection', () => {
  it('takes the files the newest AWS Data Exports manifest of each billing period lists', async () => {
    const objects: ListedObject[] = [
      { key: 'exp/cur2/data/BILLING_PERIOD=2025-05/cur2-00001.csv.gz', modifiedAt: at('2025-06-01T00:00:00Z') },
      { key: 'exp/cur2/data/BILLING_PERIOD=2025-05/cur2-00002.csv.gz', modifiedAt: at('2025-06-01T00:00:00Z') },
      { key: 'exp/cur2/data/BILLING_PERIOD=2025-05/stale-00001.csv.gz', modifiedAt: at('2025-05-20T00:00:00Z') },
      { key: 'exp/cur2/metadata/BILLING_PERIOD=2025-05/cur2-Manifest.json', modifiedAt: at('2025-06-01T00:00:00Z') },
    ];
    const selected = await selectExportFiles(objects, reader({
      'exp/cur2/metadata/BILLING_PERIOD=2025-05/cur2-Manifest.json': {
        executionId: 'e1',
        dataFiles: ['s3://bucket/exp/cur2/data/BILLING_PERIOD=2025-05/cur2-00001.csv.gz', 's3://bucket/exp/cur2/data/BILLING_PERIOD=2025-05/cur2-00002.csv.gz'],
      },
    }));
    assert.deepEqual(selected.map((s) => s.key), ['exp/cur2/data/BILLING_PERIOD=2025-05/cur2-00001.csv.gz', 'exp/cur2/data/BILLING_PERIOD=2025-05/cur2-00002.csv.gz']);
  });

  it('takes the newest Azure export run of a period from its manifest.json, and legacy CUR reportKeys', async () => {
    const objects: ListedObject[] = [
      { key: 'costs/daily/20250501-20250531/run-a/part_0_0001.csv', modifiedAt: at('2025-06-01T00:00:00Z') },
      { key: 'costs/daily/20250501-20250531/run-a/manifest.json', modifiedAt: at('2025-06-01T00:00:00Z') },
      { key: 'costs/daily/20250501-20250531/run-b/part_0_0001.csv', modifiedAt: at('2025-06-03T00:00:00Z') },
      { key: 'costs/daily/20250501-20250531/run-b/manifest.json', modifiedAt: at('2025-06-03T00:00:00Z') },
    ];
    const manifest = (run: string, submitted: string) => ({
      exportConfig: { exportName: 'daily' },
      runInfo: { runId: run, submittedTime: submitted, startDate: '2025-05-01T00:00:00', endDate: '2025-05-31T00:00:00' },
      blobs: [{ blobName: `costs/daily/20250501-20250531/${run}/part_0_0001.csv`, byteCount: 10 }],
    });
    const selected = await selectExportFiles(objects, reader({
      'costs/daily/20250501-20250531/run-a/manifest.json': manifest('run-a', '2025-06-01T00:00:00Z'),
      'costs/daily/20250501-20250531/run-b/manifest.json': manifest('run-b', '2025-06-03T00:00:00Z'),
    }));
    assert.deepEqual(selected.map((s) => s.key), ['costs/daily/20250501-20250531/run-b/part_0_0001.csv']);

    const legacy = await selectExportFiles(
      [
        { key: 'cur/report/20250501-20250601/report-Manifest.json', modifiedAt: 2 },
        { key: 'cur/report/20250501-20250601/asm-2/report-1.csv.gz', modifiedAt: 2 },
        { key: 'cur/report/20250501-20250601/asm-1/report-1.csv.gz', modifiedAt: 1 },
      ],
      reader({ 'cur/report/20250501-20250601/report-Manifest.json': { assemblyId: 'asm-2', reportKeys: ['cur/report/20250501-20250601/asm-2/report-1.csv.gz'] } }),
    );
    assert.deepEqual(legacy.map((s) => s.key), ['cur/report/20250501-20250601/asm-2/report-1.csv.gz']);
  });

  it('without a manifest, groups numbered parts of a folder into one run and keeps other files as runs of their own', async () => {
    const selected = await selectExportFiles(
      [
        { key: 'data/part-0.csv', modifiedAt: 5 },
        { key: 'data/part-1.csv', modifiedAt: 6 },
        { key: 'focus-may.csv', modifiedAt: 1 },
        { key: 'focus-may-restated.csv', modifiedAt: 9 },
        { key: 'manifest.json', modifiedAt: 1 },
      ],
      reader({}),
    );
    assert.deepEqual(selected.map((s) => [s.key, s.exportRun.id, s.exportRun.at]), [
      ['data/part-0.csv', 'data/', 6],
      ['data/part-1.csv', 'data/', 6],
      ['focus-may-restated.csv', 'focus-may-restated.csv', 9],
      ['focus-may.csv', 'focus-may.csv', 1],
    ]);
    const globbed = await selectExportFiles([{ key: 'a.csv', modifiedAt: 1 }, { key: 'b.txt', modifiedAt: 1 }], reader({}), new FileNameGlob('*.txt'));
    assert.deepEqual(globbed.map((s) => s.key), ['b.txt']);
  });

  it('fails naming the manifest when it lists a file that is not there', async () => {
    await assert.rejects(
      selectExportFiles([{ key: 'm/x-Manifest.json', modifiedAt: 1 }], reader({ 'm/x-Manifest.json': { dataFiles: ['s3://b/m/gone-00001.csv.gz'] } })),
      (error: unknown) => error instanceof ValidationError && /m\/x-Manifest\.json lists m\/gone-00001\.csv\.gz/.test(error.message),
    );
  });
});
