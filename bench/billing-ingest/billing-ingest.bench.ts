// Billing ingest bench: a generated 1,000,000-row FOCUS 1.0 CSV (rows cycled from the FinOps Foundation sample with
// varied costs, hours and sub-accounts) synced into the ledger — header check, INSERT … SELECT with the FOCUS
// mapping and AI labels, currency and period validation, totals, partition swap — against a baseline measured in the
// same run on the same file: ClickHouse copying the file as-is into a MergeTree table (`INSERT … SELECT * FROM file()`),
// the floor for "read by ClickHouse itself". Target: ≥ 200,000 rows/s into the ledger.
// Run: node dist/bench/billing-ingest/billing-ingest.bench.js [rows]
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { loadConfig, setLogLevel } from '@tollgate/core';
import { Stores } from '@tollgate/storage';
import { BillingLedgerSync } from '@tollgate/billing';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const TARGET_ROWS_PER_SECOND = 200_000;
const SAMPLE = join(__dirname, '..', '..', '..', '..', 'shared', 'datasets', 'billing', 'focus-sample', 'focus-1.0_official_focus_sample_1000.csv');

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function generate(path: string, rows: number): Promise<void> {
  const text = readFileSync(SAMPLE, 'utf8');
  const header = text.slice(0, text.indexOf('\n'));
  const columns = parse(header)[0] as string[];
  const templates = parse(text, { columns: true }) as Record<string, string>[];
  const quote = (v: string) => (v === 'NULL' ? 'NULL' : `"${v.replace(/"/g, '""')}"`);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  out.write(header + '\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const t = templates[i % templates.length];
    const hour = i % (30 * 24);
    const start = new Date(Date.UTC(2024, 8, 1) + hour * 3_600_000);
    const end = new Date(start.getTime() + 3_600_000);
    const cost = ((i * 7919) % 1_000_000) / 100_000; // 0 … 9.99999, exact decimals
    const row: Record<string, string> = {
      ...t,
      BillingPeriodStart: '2024-09-01 00:00:00',
      BillingPeriodEnd: '2024-10-01 00:00:00',
      ChargePeriodStart: start.toISOString().slice(0, 19).replace('T', ' '),
      ChargePeriodEnd: end.toISOString().slice(0, 19).replace('T', ' '),
      BilledCost: cost.toFixed(5),
      EffectiveCost: (cost * 0.9).toFixed(6),
      ListCost: (cost * 1.1).toFixed(6),
      SubAccountId: `acct-${i % 97}`,
    };
    chunk += columns.map((c) => quote(row[c] ?? 'NULL')).join(',') + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

async function main(): Promise<void> {
  setLogLevel('error');
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-billing-'));
  const file = join(dir, 'focus-1m.csv');
  try {
    let t = Date.now();
    await generate(file, ROWS);
    process.stdout.write(`generated ${fmt(ROWS)} FOCUS rows, ${fmt(statSync(file).size / 1e6)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);

    const stores = await Stores.open(loadConfig({ TOLLGATE_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'error' }));
    try {
      await stores.migrate();
      const ch = stores.clickhouse;
      const settings = { input_format_csv_use_best_effort_in_schema_inference: 0, schema_inference_make_columns_nullable: 1 } as const;

      // Baseline: ClickHouse copying the same file verbatim (all columns as text) into a MergeTree table; measured
      // before and after the ledger syncs (page cache and load on a shared machine move both), the faster one counts.
      const baseline = async (): Promise<number> => {
        await ch.command({ query: 'DROP TABLE IF EXISTS bench_billing_baseline' });
        await ch.command({
          query: `CREATE TABLE bench_billing_baseline ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM file({path:String}, 'CSVWithNames') LIMIT 0`,
          query_params: { path: file },
          clickhouse_settings: settings,
        });
        const started = Date.now();
        await ch.command({ query: `INSERT INTO bench_billing_baseline SELECT * FROM file({path:String}, 'CSVWithNames')`, query_params: { path: file }, clickhouse_settings: settings });
        const seconds = (Date.now() - started) / 1000;
        await ch.command({ query: 'DROP TABLE bench_billing_baseline' });
        return seconds;
      };
      const baselineBefore = await baseline();

      // The ledger: one full sync of a source, twice (the second is a restatement: the period is replaced).
      const ledger = new BillingLedgerSync(ch);
      const sourceId = randomUUID();
      const timings: number[] = [];
      const parts: { stage: number; validate: number; swap: number }[] = [];
      let rows = 0;
      for (let i = 0; i < 2; i++) {
        t = Date.now();
        const result = await ledger.sync({
          sourceId,
          sourceKind: 'bench',
          syncRunId: randomUUID(),
          ingestVersion: Date.now(),
          files: [{ location: { kind: 'local', path: file }, name: 'focus-1m.csv', format: 'focus' }],
          periods: ['2024-09-01'],
        });
        timings.push((Date.now() - t) / 1000);
        parts.push(result.ms);
        rows = result.rows;
      }
      const [count] = await (
        await ch.query({ query: 'SELECT toString(count()) AS n FROM billing_lines WHERE source_id = {sourceId:String}', query_params: { sourceId }, format: 'JSONEachRow' })
      ).json<{ n: string }>();
      if (rows !== ROWS || Number(count.n) !== ROWS) throw new Error(`expected ${ROWS} lines, synced ${rows}, ledger holds ${count.n}`);

      const baselineAfter = await baseline();
      const baselineSeconds = Math.min(baselineBefore, baselineAfter);
      const baselineRate = ROWS / baselineSeconds;
      process.stdout.write(
        `baseline  INSERT … SELECT * FROM file():   ${baselineBefore.toFixed(2)} s before, ${baselineAfter.toFixed(2)} s after  best ${fmt(baselineRate)} rows/s\n`,
      );
      timings.forEach((s, i) => {
        const rate = ROWS / s;
        process.stdout.write(
          `ledger    sync ${i === 0 ? 'first    ' : 'restated '} (stage+validate+swap): ${s.toFixed(2)} s  ${fmt(rate)} rows/s  ` +
            `ratio to baseline ${(rate / baselineRate).toFixed(2)}  target ${fmt(TARGET_ROWS_PER_SECOND)} rows/s ${rate >= TARGET_ROWS_PER_SECOND ? 'met' : 'NOT met'}\n` +
            `          (stage ${(parts[i].stage / 1000).toFixed(2)} s = ${fmt(ROWS / (parts[i].stage / 1000))} rows/s, ratio ${(ROWS / (parts[i].stage / 1000) / baselineRate).toFixed(2)}; validate+totals ${(parts[i].validate / 1000).toFixed(2)} s; swap ${(parts[i].swap / 1000).toFixed(2)} s)\n`,
        );
      });
    } finally {
      await stores.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`billing-ingest bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
