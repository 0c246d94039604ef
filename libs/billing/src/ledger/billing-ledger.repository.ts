import { ClickHouseClient } from '@clickhouse/client';
import { ValidationError } from '@tollgate/core';

export interface PeriodTotal {
  period: string;
  currency: string;
  rows: number;
  billedCost: string;
  effectiveCost: string;
}

const SOURCE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const PERIOD = /^\d{4}-\d{2}-01$/;

/** ISO 4217 codes the runtime knows (Intl's list), the set a BillingCurrency must belong to. */
export const CURRENCY_CODES: readonly string[] = Intl.supportedValuesOf('currency');

/**
 * The ledger's storage operations: staging area, validation queries over staged lines, and the partition swap.
 * Partition literals are the one place SQL is assembled from values (ALTER … PARTITION takes no query parameters),
 * so both parts are checked against strict patterns first.
 */
export class BillingLedgerRepository {
  constructor(private readonly clickhouse: ClickHouseClient) {}

  static partition(sourceId: string, period: string): string {
    if (!SOURCE_ID.test(sourceId)) throw new Error(`not a source id: ${sourceId}`);
    if (!PERIOD.test(period)) throw new Error(`not a billing period: ${period}`);
    return `('${sourceId}', '${period}')`;
  }

  /** Drops whatever a previous (failed or interrupted) sync of this source left in staging. */
  async clearStaging(sourceId: string): Promise<void> {
    for (const period of await this.periods('billing_lines_staging', sourceId)) {
      await this.clickhouse.command({ query: `ALTER TABLE billing_lines_staging DROP PARTITION ${BillingLedgerRepository.partition(sourceId, period)}` });
    }
  }

  async periods(table: 'billing_lines' | 'billing_lines_staging', sourceId: string): Promise<string[]> {
    const result = await this.clickhouse.query({
      query: `SELECT DISTINCT toString(billing_period) AS period FROM ${table} WHERE source_id = {sourceId:String} ORDER BY period`,
      query_params: { sourceId },
      format: 'JSONEachRow',
    });
    return (await result.json<{ period: string }>()).map((r) => r.period);
  }

  /** Inserts already-normalised lines (API connectors) into staging. */
  async stageRows(rows: Record<string, unknown>[]): Promise<void> {
    const batch = 50_000;
    for (let i = 0; i < rows.length; i += batch) {
      await this.clickhouse.insert({ table: 'billing_lines_staging', values: rows.slice(i, i + batch), format: 'JSONEachRow' });
    }
  }

  /**
   * Checks what no column type can (NOT IN builds a hash set: a per-row array scan of ~300 codes cost seconds per
   * million lines): the currency is an ISO 4217 code and every line falls in a period the sync
   * restates. Throws ValidationError naming the file and line of the first offender.
   */
  async validateStaged(sourceId: string, syncRunId: string, periods: string[] | undefined): Promise<void> {
    const currency = await this.first(
      `SELECT source_file, source_line, BillingCurrency AS value FROM billing_lines_staging
       WHERE source_id = {sourceId:String} AND sync_run_id = {syncRunId:String} AND BillingCurrency NOT IN {currencies:Array(String)}
       ORDER BY source_file, source_line LIMIT 1`,
      { sourceId, syncRunId, currencies: CURRENCY_CODES },
    );
    if (currency) {
      throw problem(currency.source_file, Number(currency.source_line), 'BillingCurrency', `unknown currency '${currency.value}'`);
    }
    if (periods) {
      const outside = await this.first(
        `SELECT source_file, source_line, toString(billing_period) AS value FROM billing_lines_staging
         WHERE source_id = {sourceId:String} AND sync_run_id = {syncRunId:String} AND billing_period NOT IN {periods:Array(Date)}
         ORDER BY source_file, source_line LIMIT 1`,
        { sourceId, syncRunId, periods },
      );
      if (outside) {
        throw problem(outside.source_file, Number(outside.source_line), 'BillingPeriodStart', `billing period ${outside.value.slice(0, 7)} is outside the synced period(s) ${periods.map((p) => p.slice(0, 7)).join(', ')}`);
      }
    }
  }

  async stagedTotals(sourceId: string): Promise<PeriodTotal[]> {
    return this.totals('billing_lines_staging', sourceId);
  }

  async totals(table: 'billing_lines' | 'billing_lines_staging', sourceId: string): Promise<PeriodTotal[]> {
    const result = await this.clickhouse.query({
      query: `SELECT toString(billing_period) AS period, BillingCurrency AS currency, count() AS rows,
                     toString(sum(BilledCost)) AS billedCost, toString(sum(EffectiveCost)) AS effectiveCost
              FROM ${table} WHERE source_id = {sourceId:String}
              GROUP BY period, currency ORDER BY period, currency`,
      query_params: { sourceId },
      format: 'JSONEachRow',
    });
    return (await result.json<PeriodTotal & { rows: string }>()).map((r) => ({ ...r, rows: Number(r.rows) }));
  }

  /**
   * Makes staging the truth for each period: REPLACE PARTITION where lines were staged, DROP PARTITION where a
   * restated period has none left. Each statement is atomic, so a reader sees a period's old lines or its new ones.
   */
  async swap(sourceId: string, periods: string[]): Promise<void> {
    const staged = new Set(await this.periods('billing_lines_staging', sourceId));
    for (const period of periods) {
      const partition = BillingLedgerRepository.partition(sourceId, period);
      await this.clickhouse.command({
        query: staged.has(period)
          ? `ALTER TABLE billing_lines REPLACE PARTITION ${partition} FROM billing_lines_staging`
          : `ALTER TABLE billing_lines DROP PARTITION ${partition}`,
      });
    }
  }

  /** The `period|provider|billing account` keys the given files put in staging during this run. */
  async stagedRestatementKeys(sourceId: string, syncRunId: string, files: string[]): Promise<string[]> {
    const result = await this.clickhouse.query({
      query: `SELECT DISTINCT concat(toString(billing_period), '|', ProviderName, '|', BillingAccountId) AS k FROM billing_lines_staging
              WHERE source_id = {sourceId:String} AND sync_run_id = {syncRunId:String} AND source_file IN {files:Array(String)}`,
      query_params: { sourceId, syncRunId, files },
      format: 'JSONEachRow',
    });
    return (await result.json<{ k: string }>()).map((r) => r.k);
  }

  /** Removes every line of a source, ledger and staging; returns how many ledger lines there were. */
  async dropSource(sourceId: string): Promise<number> {
    const [count] = await (
      await this.clickhouse.query({ query: 'SELECT toString(count()) AS n FROM billing_lines WHERE source_id = {sourceId:String}', query_params: { sourceId }, format: 'JSONEachRow' })
    ).json<{ n: string }>();
    for (const period of await this.periods('billing_lines', sourceId)) {
      await this.clickhouse.command({ query: `ALTER TABLE billing_lines DROP PARTITION ${BillingLedgerRepository.partition(sourceId, period)}` });
    }
    await this.clearStaging(sourceId);
    return Number(count?.n ?? 0);
  }

  private async first(query: string, params: Record<string, unknown>): Promise<{ source_file: string; source_line: string; value: string } | undefined> {
    const result = await this.clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
    const rows = await result.json<{ source_file: string; source_line: string; value: string }>();
    return rows[0];
  }
}

/** Bad input in a billing file, naming the file and line: `focus.csv line 12: BilledCost: not a number 'abc'`. */
export class BillingInputError extends ValidationError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    field: string,
    reason: string,
  ) {
    super(`${line === undefined ? file : `${file} line ${line}`}: ${field}: ${reason}`, [{ field, reason, ...(line === undefined ? {} : { line }) }]);
  }
}

export function problem(file: string, line: number | undefined, field: string, reason: string): BillingInputError {
  return new BillingInputError(file, line, field, reason);
}
