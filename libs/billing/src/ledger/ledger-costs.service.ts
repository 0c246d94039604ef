import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { ForbiddenError, MONEY_SCALE, encodeCsv } from '@tollgate/core';
import { LEDGER_DIMENSIONS, LedgerCostsQuery, LedgerDimension, LedgerGrain, dimensionName } from './ledger-costs.query';

const money = z.string().regex(/^-?\d+\.\d{12}$/).describe('decimal string at 12 places, in `currency`');

/** One group of the answer; the OpenAPI document is generated from this schema and the tests check answers against it. */
export const ledgerCostRowSchema = z.object({
  bucket: z.string().describe('start of the billing period, month or day (YYYY-MM-DD, UTC)'),
  group: z.record(z.string(), z.string()).describe('the group_by dimensions and their values, in the order asked'),
  currency: z.string().describe('BillingCurrency: amounts in different currencies are never summed together'),
  lines: z.number().int().min(0),
  billed_cost: money,
  effective_cost: money,
  list_cost: money.nullable().describe('sum of ListCost over the lines that have one; null when none has'),
});
export type LedgerCostRow = z.infer<typeof ledgerCostRowSchema>;

export const ledgerCostsSchema = z.object({
  from: z.string(),
  to: z.string(),
  grain: z.enum(['billing_period', 'month', 'day']),
  group_by: z.array(z.string()),
  rows: z.array(ledgerCostRowSchema),
});
export type LedgerCosts = z.infer<typeof ledgerCostsSchema>;

export const LEDGER_COSTS_EXAMPLE: LedgerCosts = {
  from: '2024-09-01T00:00:00.000Z',
  to: '2024-10-01T00:00:00.000Z',
  grain: 'billing_period',
  group_by: ['billing_account', 'service'],
  rows: [
    {
      bucket: '2024-09-01',
      group: { billing_account: '123456789012', service: 'Amazon Bedrock' },
      currency: 'USD',
      lines: 42,
      billed_cost: '1234.567800000000',
      effective_cost: '1200.000000000000',
      list_cost: '1300.000000000000',
    },
  ],
};

/** The ledger's time column for a grain, and the bucket expression over it (a Date). */
const TIME: Record<LedgerGrain, { column: string; bucket: string }> = {
  billing_period: { column: 'billing_period', bucket: 'billing_period' },
  month: { column: 'ChargePeriodStart', bucket: "toStartOfMonth(ChargePeriodStart, 'UTC')" },
  day: { column: 'ChargePeriodStart', bucket: "toDate(ChargePeriodStart, 'UTC')" },
};

const chTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/**
 * Reads the billing ledger back: billed, effective and list cost per time bucket, group and currency. The ledger
 * holds each (source, billing period) once — a re-sync replaces the partition (BillingLedgerRepository.swap) — so a
 * plain sum never counts a restated period twice. Column names come from the allowlist; values, tag keys included,
 * only as query parameters.
 */
export class LedgerCostsService {
  constructor(private readonly clickhouse: ClickHouseClient) {}

  async query(query: LedgerCostsQuery, teams: readonly string[] | null = null): Promise<LedgerCosts> {
    if (teams !== null) {
      // No sound team → ledger line mapping exists (see README): a partial bill would pass for the whole one.
      throw new ForbiddenError('the billing ledger is not split by team: a principal limited to teams cannot read it (ask for a token without a team limit)');
    }
    const { sql, params } = ledgerCostsSql(query);
    const result = await this.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    const raw = await result.json<Record<string, string | null>>();
    const names = query.groupBy.map(dimensionName);
    return {
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      grain: query.grain,
      group_by: names,
      rows: raw.map((r) => ({
        bucket: String(r.bucket),
        group: Object.fromEntries(names.map((name, i) => [name, String(r[`g_${i}`])])),
        currency: String(r.currency),
        lines: Number(r.lines),
        billed_cost: String(r.billed_cost),
        effective_cost: String(r.effective_cost),
        list_cost: r.list_cost,
      })),
    };
  }
}

/** A dimension as SQL: its allowlisted column, or the tag map read at a key that travels as parameter `key`. */
function dimensionSql(d: LedgerDimension, key: string, params: Record<string, unknown>): string {
  if ('column' in d) return LEDGER_DIMENSIONS[d.column];
  params[key] = d.tag;
  return `Tags[{${key}:String}]`;
}

export function ledgerCostsSql(query: LedgerCostsQuery): { sql: string; params: Record<string, unknown> } {
  const time = TIME[query.grain];
  const params: Record<string, unknown> = { from: chTime(query.from), to: chTime(query.to) };
  const where =
    query.grain === 'billing_period'
      ? ['billing_period >= toDate({from:DateTime64(3, \'UTC\')})', 'billing_period < toDate({to:DateTime64(3, \'UTC\')})']
      : [`${time.column} >= {from:DateTime64(3, 'UTC')}`, `${time.column} < {to:DateTime64(3, 'UTC')}`];
  query.filters.forEach((f, i) => {
    where.push(`${dimensionSql(f.dimension, `fk_${i}`, params)} IN {fv_${i}:Array(String)}`);
    params[`fv_${i}`] = f.values;
  });
  // Aliases g_0… never shadow a column name (ClickHouse would let an alias replace the column in WHERE).
  const groups = query.groupBy.map((d, i) => `${dimensionSql(d, `gk_${i}`, params)} AS g_${i}`);
  const keys = ['bucket', ...query.groupBy.map((_, i) => `g_${i}`), 'currency'];
  const sql = `SELECT toString(${time.bucket}) AS bucket, ${groups.map((g) => `${g}, `).join('')}BillingCurrency AS currency,
      count() AS lines,
      toDecimalString(sum(BilledCost), ${MONEY_SCALE}) AS billed_cost,
      toDecimalString(sum(EffectiveCost), ${MONEY_SCALE}) AS effective_cost,
      if(count(ListCost) = 0, NULL, toDecimalString(assumeNotNull(sum(ListCost)), ${MONEY_SCALE})) AS list_cost
    FROM billing_lines
    WHERE ${where.join(' AND ')}
    GROUP BY ${keys.join(', ')}
    ORDER BY ${keys.join(', ')}`;
  return { sql, params };
}

/** CSV for spreadsheets: one line per bucket × group × currency. */
export function ledgerCostsToCsv(costs: LedgerCosts): string {
  return encodeCsv(
    ['bucket', ...costs.group_by, 'currency', 'lines', 'billed_cost', 'effective_cost', 'list_cost'],
    costs.rows.map((r) => [r.bucket, ...costs.group_by.map((g) => r.group[g] ?? ''), r.currency, r.lines, r.billed_cost, r.effective_cost, r.list_cost]),
  );
}
