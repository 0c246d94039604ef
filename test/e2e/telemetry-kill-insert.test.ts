import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseMigrator, createClickHouseClient, projectRoot } from '@tollgate/storage';
import { ClickHouseTelemetryWriter } from '@tollgate/telemetry';
import { tempDir } from '../support/test-env';
import { KILL_TEST_BATCH_ROWS, killTestBatch } from '../support/telemetry-kill.fixture';

const ROLLUPS = [
  { table: 'llm_usage_hourly', day: 'toDate(hour)' },
  { table: 'llm_usage_daily', day: 'day' },
  { table: 'llm_usage_daily_customer', day: 'day' },
];

// Issue 19's fault: kill -9 while an INSERT into llm_requests is under way, restart, re-send what was not
// acknowledged. Raw table and every rollup must then agree, day by day, and count each request once.
describe('kill -9 during a ClickHouse insert, then restart', () => {
  const dir = tempDir('tollgate-kill-insert-');
  const chDir = join(dir, 'ch');
  const database = 'kill_insert';
  let client: ClickHouseClient | undefined;
  after(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const select = async <T>(query: string) => (await client!.query({ query, format: 'JSONEachRow' })).json<T>();
  const figures = (n: string, c: string, l: string) => `toString(${n}) AS requests, toString(${c}) AS cost, toString(${l}) AS latencies`;

  it('leaves raw rows and rollups that agree once the restarted writer has seen the re-sent events', async () => {
    const setup = await createClickHouseClient({ embeddedDir: chDir, database });
    await new ClickHouseMigrator(setup, join(projectRoot(), 'migrations', 'clickhouse')).migrate();
    await setup.close();

    const child = fork(join(__dirname, '..', 'support', 'telemetry-insert.process.js'), [chDir, database], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let lastStored = -1;
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: { stored: number }) => {
        lastStored = m.stored;
        // Two batches stored, then a kill at a moment within the next batches' lookups and INSERTs.
        if (m.stored === 1) setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 20 + Math.floor(Math.random() * 200));
      });
      child.once('exit', (code) => (code === null ? resolve() : reject(new Error(`writer process exited with ${code} before the kill`))));
    });
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve(undefined) : child.once('exit', resolve)));
    assert.ok(lastStored >= 1);

    // The restart: the producer re-sends every batch it had not seen acknowledged (and, to be sure, one more).
    client = await createClickHouseClient({ embeddedDir: chDir, database });
    const stranded = Number((await select<{ n: string }>(`SELECT count() AS n FROM llm_requests FINAL`))[0].n);
    const sent = lastStored + 3;
    const writer = new ClickHouseTelemetryWriter(client, { flushIntervalMs: 1 });
    let duplicates = 0;
    // The writer's flush timer does not hold the event loop open; nothing else here does either.
    const keepAlive = setInterval(() => undefined, 1_000);
    try {
      for (let b = 0; b < sent; b++) duplicates += (await writer.write(killTestBatch(b))).duplicates;
      await writer.close();
    } finally {
      clearInterval(keepAlive);
    }
    assert.ok(duplicates >= (lastStored + 1) * KILL_TEST_BATCH_ROWS, 'the acknowledged batches are recognised as duplicates');
    assert.ok(duplicates <= stranded);

    const raw = await select<Record<string, string>>(
      `SELECT toString(day) AS day, ${figures('n', 'c', 'l')} FROM (SELECT toDate(ts) AS day, count() AS n, sum(estimated_cost) AS c, count() AS l
       FROM llm_requests FINAL GROUP BY day) ORDER BY day`,
    );
    assert.equal(raw.reduce((s, d) => s + Number(d.requests), 0), sent * KILL_TEST_BATCH_ROWS, 'each request stored once');
    for (const r of ROLLUPS) {
      const rollup = await select<Record<string, string>>(
        `SELECT toString(day) AS day, ${figures('n', 'c', 'l')} FROM (SELECT ${r.day} AS day, sum(requests) AS n, sum(estimated_cost) AS c,
         sum(arraySum(mapValues(latency_histogram))) AS l FROM ${r.table} GROUP BY day) ORDER BY day`,
      );
      assert.deepEqual(rollup, raw, `${r.table} agrees with llm_requests FINAL`);
    }
  });
});
