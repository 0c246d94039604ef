import { FieldProblem, ValidationError } from '@tollgate/core';

/**
 * What the ledger groups and filters by: the api's name → the `billing_lines` column (an allowlist; nothing else
 * reaches the SQL). A tag is `tag:<key>`, its key passed as a query parameter, never spliced.
 */
export const LEDGER_DIMENSIONS = {
  provider: 'ProviderName',
  billing_account: 'BillingAccountId',
  billing_account_name: 'BillingAccountName',
  sub_account: 'SubAccountId',
  sub_account_name: 'SubAccountName',
  service: 'ServiceName',
  service_category: 'ServiceCategory',
  region: 'RegionId',
  charge_category: 'ChargeCategory',
  sku: 'SkuId',
  ai_service: 'ai_service',
  ai_model: 'ai_model',
  usage_type: 'usage_type',
  source: 'source_id',
} as const;
export type LedgerColumnDimension = keyof typeof LEDGER_DIMENSIONS;
/** A named column, or a tag key (`tag:team` → `{ tag: 'team' }`). */
export type LedgerDimension = { column: LedgerColumnDimension } | { tag: string };

/**
 * `billing_period`: the invoice month each line was billed in (what an invoice is checked against); `month` and
 * `day`: when the charge was incurred (ChargePeriodStart, UTC).
 */
export const LEDGER_GRAINS = ['billing_period', 'month', 'day'] as const;
export type LedgerGrain = (typeof LEDGER_GRAINS)[number];

export interface LedgerCostsQuery {
  from: Date;
  to: Date;
  grain: LedgerGrain;
  groupBy: LedgerDimension[];
  filters: { dimension: LedgerDimension; values: string[] }[];
}

export const MAX_LEDGER_RANGE_DAYS = 800;
const TAG = /^tag:(.{1,256})$/s;

/** The query parameters of GET /v1/billing/costs, for the parser and the OpenAPI document alike. */
export const LEDGER_COSTS_PARAMETERS: readonly { name: string; required: boolean; description: string; example?: string }[] = [
  { name: 'from', required: true, description: 'start (inclusive): a month (2025-05), a date or an ISO-8601 timestamp with a zone', example: '2024-09' },
  { name: 'to', required: true, description: `end (exclusive), at most ${MAX_LEDGER_RANGE_DAYS} days after from; with grain billing_period both must be month starts`, example: '2024-12' },
  { name: 'grain', required: false, description: 'billing_period (the invoice month, default), month or day (of the charge period)', example: 'billing_period' },
  {
    name: 'group_by',
    required: false,
    description: `any of ${Object.keys(LEDGER_DIMENSIONS).join(', ')}, or tag:<key>; repeat the parameter or separate with commas`,
    example: 'billing_account,service',
  },
  ...Object.keys(LEDGER_DIMENSIONS).map((name) => ({ name, required: false, description: `only these ${name} values (repeat or comma-separate)` })),
  { name: 'tag:<key>', required: false, description: 'only lines whose tag <key> has one of these values, e.g. tag:team=search' },
];

function dimension(name: string): LedgerDimension | undefined {
  if (Object.hasOwn(LEDGER_DIMENSIONS, name)) return { column: name as LedgerColumnDimension };
  const tag = TAG.exec(name);
  return tag ? { tag: tag[1] } : undefined;
}

export function dimensionName(d: LedgerDimension): string {
  return 'column' in d ? d.column : `tag:${d.tag}`;
}

function one(params: Record<string, unknown>, name: string, problems: FieldProblem[]): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') return value;
  problems.push({ field: name, reason: 'must be given once' });
  return undefined;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

function time(value: string | undefined, name: string, problems: FieldProblem[]): Date | undefined {
  if (value === undefined) {
    problems.push({ field: name, reason: 'is required (a month such as 2025-05, a date, or an ISO-8601 timestamp with a zone)' });
    return undefined;
  }
  const text = MONTH.test(value) ? `${value}-01T00:00:00Z` : ISO.test(value) ? (value.length === 10 ? `${value}T00:00:00Z` : value) : '';
  const date = new Date(text || NaN);
  if (Number.isNaN(date.getTime())) problems.push({ field: name, reason: `'${value}' is not a month, a date or an ISO-8601 timestamp with a zone` });
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const list = (value: unknown) => [...new Set(([] as unknown[]).concat(value).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean))];
const isMonthStart = (d: Date) => d.getUTCDate() === 1 && d.getTime() % 86_400_000 === 0;

/**
 * Parses the query string of GET /v1/billing/costs. Every problem names its parameter; an unknown parameter is
 * refused (a misspelt filter must not silently widen a total someone checks an invoice against).
 */
export function parseLedgerCostsQuery(params: Record<string, unknown>): LedgerCostsQuery {
  const problems: FieldProblem[] = [];
  const from = time(one(params, 'from', problems), 'from', problems);
  const to = time(one(params, 'to', problems), 'to', problems);
  const grainRaw = one(params, 'grain', problems) ?? 'billing_period';
  const grain = (LEDGER_GRAINS as readonly string[]).includes(grainRaw) ? (grainRaw as LedgerGrain) : undefined;
  if (!grain) problems.push({ field: 'grain', reason: `'${grainRaw}' is not one of ${LEDGER_GRAINS.join(', ')}` });
  if (from && to) {
    if (to <= from) problems.push({ field: 'to', reason: 'must be after from' });
    else if (to.getTime() - from.getTime() > MAX_LEDGER_RANGE_DAYS * 86_400_000) problems.push({ field: 'to', reason: `the window may span at most ${MAX_LEDGER_RANGE_DAYS} days` });
    if (grain === 'billing_period') {
      for (const [name, d] of [['from', from], ['to', to]] as const) {
        if (!isMonthStart(d)) problems.push({ field: name, reason: 'must be a month start (e.g. 2025-05) with grain billing_period: a billing period is a whole month' });
      }
    }
  }
  const groupBy: LedgerDimension[] = [];
  for (const name of params.group_by === undefined ? [] : list(params.group_by)) {
    const d = dimension(name);
    if (!d) problems.push({ field: 'group_by', reason: `'${name}' is not one of ${Object.keys(LEDGER_DIMENSIONS).join(', ')} or tag:<key>` });
    else if (!groupBy.some((g) => dimensionName(g) === name)) groupBy.push(d);
  }
  if (groupBy.length > 8) problems.push({ field: 'group_by', reason: 'at most 8 dimensions' });
  const filters: LedgerCostsQuery['filters'] = [];
  for (const [name, value] of Object.entries(params)) {
    if (['from', 'to', 'grain', 'group_by'].includes(name)) continue;
    const d = dimension(name);
    if (!d) {
      problems.push({ field: name, reason: `unknown parameter; expected from, to, grain, group_by, ${Object.keys(LEDGER_DIMENSIONS).join(', ')} or tag:<key>` });
      continue;
    }
    const values = list(value);
    if (!values.length) problems.push({ field: name, reason: 'give at least one value' });
    if (values.some((v) => v.length > 1024)) problems.push({ field: name, reason: 'values are at most 1024 characters' });
    if (values.length > 1000) problems.push({ field: name, reason: 'at most 1000 values' });
    filters.push({ dimension: d, values });
  }
  if (problems.length) throw ValidationError.of(problems, 'invalid billing costs query');
  return { from: from!, to: to!, grain: grain!, groupBy, filters };
}
