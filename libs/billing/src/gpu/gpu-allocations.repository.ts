import { ClickHouseClient } from '@clickhouse/client';
import { BillingLedgerRepository } from '../ledger/billing-ledger.repository';

export interface GpuAllocationTotal {
  period: string;
  currency: string;
  rows: number;
  gpuHours: string;
  gpuCost: string;
  totalCost: string;
}

/** Stage → swap for `gpu_allocations`, the same partition discipline as the billing ledger. */
export class GpuAllocationsRepository {
  constructor(private readonly clickhouse: ClickHouseClient) {}

  async replace(run: { sourceId: string; syncRunId: string; ingestVersion: number }, periods: string[], rows: Record<string, unknown>[]): Promise<GpuAllocationTotal[]> {
    const { sourceId } = run;
    await this.clearStaging(sourceId);
    try {
      const provenance = { source_id: sourceId, sync_run_id: run.syncRunId, ingest_version: run.ingestVersion };
      for (let i = 0; i < rows.length; i += 20_000) {
        await this.clickhouse.insert({ table: 'gpu_allocations_staging', values: rows.slice(i, i + 20_000).map((r) => ({ ...r, ...provenance })), format: 'JSONEachRow' });
      }
      const result = await this.clickhouse.query({
        query: `SELECT toString(billing_period) AS period, currency, count() AS rows, toString(sum(gpu_hours)) AS gpuHours,
                       toString(sum(gpu_cost)) AS gpuCost, toString(sum(total_cost)) AS totalCost
                FROM gpu_allocations_staging WHERE source_id = {sourceId:String} GROUP BY period, currency ORDER BY period, currency`,
        query_params: { sourceId },
        format: 'JSONEachRow',
      });
      const totals = (await result.json<GpuAllocationTotal & { rows: string }>()).map((r) => ({ ...r, rows: Number(r.rows) }));
      const staged = new Set(await this.periods('gpu_allocations_staging', sourceId));
      for (const period of [...new Set([...periods, ...staged])].sort()) {
        const partition = BillingLedgerRepository.partition(sourceId, period);
        await this.clickhouse.command({
          query: staged.has(period)
            ? `ALTER TABLE gpu_allocations REPLACE PARTITION ${partition} FROM gpu_allocations_staging`
            : `ALTER TABLE gpu_allocations DROP PARTITION ${partition}`,
        });
      }
      return totals;
    } finally {
      await this.clearStaging(sourceId);
    }
  }

  /** Removes every allocation of a source, kept and staged; returns how many were kept. */
  async dropSource(sourceId: string): Promise<number> {
    const [count] = await (
      await this.clickhouse.query({ query: 'SELECT toString(count()) AS n FROM gpu_allocations WHERE source_id = {sourceId:String}', query_params: { sourceId }, format: 'JSONEachRow' })
    ).json<{ n: string }>();
    for (const period of await this.periods('gpu_allocations', sourceId)) {
      await this.clickhouse.command({ query: `ALTER TABLE gpu_allocations DROP PARTITION ${BillingLedgerRepository.partition(sourceId, period)}` });
    }
    await this.clearStaging(sourceId);
    return Number(count?.n ?? 0);
  }

  private async clearStaging(sourceId: string): Promise<void> {
    for (const period of await this.periods('gpu_allocations_staging', sourceId)) {
      await this.clickhouse.command({ query: `ALTER TABLE gpu_allocations_staging DROP PARTITION ${BillingLedgerRepository.partition(sourceId, period)}` });
    }
  }

  private async periods(table: string, sourceId: string): Promise<string[]> {
    const result = await this.clickhouse.query({
      query: `SELECT DISTINCT toString(billing_period) AS period FROM ${table} WHERE source_id = {sourceId:String}`,
      query_params: { sourceId },
      format: 'JSONEachRow',
    });
    return (await result.json<{ period: string }>()).map((r) => r.period);
  }
}
