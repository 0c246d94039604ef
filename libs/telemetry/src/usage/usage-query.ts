import { FieldProblem, ForbiddenError, ValidationError } from '@tollgate/core';

/** Dimensions the usage API groups and filters by; the keys are also the ClickHouse column names (an allowlist). */
export const USAGE_DIMENSIONS = ['feature', 'customer', 'team', 'env', 'model', 'provider', 'provider_account', 'virtual_key'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];
export const USAGE_GRAINS = ['hour', 'day', 'week', 'month'] as const;
export type UsageGrain = (typeof USAGE_GRAINS)[number];

export interface UsageQuery {
  from: Date;
  to: Date;
  grain: UsageGrain;
  groupBy: UsageDimension[];
  filters: Partial<Record<UsageDimension, string[]>>;
}

/** Longest window one query may span, so a typo in `from` cannot start a scan of all history at hour grain. */
const MAX_RANGE_DAYS = 400;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

function one(value: unknown, name: string, problems: FieldProblem[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  problems.push({ field: name, reason: 'must be given once' });
  return undefined;
}

function time(value: string | undefined, name: string, problems: FieldProblem[]): Date | undefined {
  if (value === undefined || value === '') {
    problems.push({ field: name, reason: 'is required (ISO-8601, e.g. 2026-11-01 or 2026-11-01T00:00:00Z)' });
    return undefined;
  }
  const date = ISO.test(value) ? new Date(value.length === 10 ? `${value}T00:00:00Z` : value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    problems.push({ field: name, reason: `'${value}' is not an ISO-8601 date or timestamp with a zone` });
    return undefined;
  }
  return date;
}

/**
 * Parses the query string of GET /v1/usage. Every problem names its parameter; unknown parameters are refused
 * (a misspelt filter must not silently widen the answer). Filters take repeated parameters or comma lists.
 */
export function parseUsageQuery(params: Record<string, unknown>): UsageQuery {
  const problems: FieldProblem[] = [];
  const known = new Set(['from', 'to', 'grain', 'group_by', ...USAGE_DIMENSIONS]);
  for (const key of Object.keys(params)) if (!known.has(key)) problems.push({ field: key, reason: `unknown parameter; expected one of ${[...known].join(', ')}` });
  const from = time(one(params.from, 'from', problems), 'from', problems);
  const to = time(one(params.to, 'to', problems), 'to', problems);
  if (from && to) {
    if (to <= from) problems.push({ field: 'to', reason: 'must be after from' });
    else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) problems.push({ field: 'to', reason: `the window may span at most ${MAX_RANGE_DAYS} days` });
  }
  const grainRaw = one(params.grain, 'grain', problems) ?? 'day';
  const grain = (USAGE_GRAINS as readonly string[]).includes(grainRaw) ? (grainRaw as UsageGrain) : undefined;
  if (!grain) problems.push({ field: 'grain', reason: `'${grainRaw}' is not one of ${USAGE_GRAINS.join(', ')}` });
  const groupBy: UsageDimension[] = [];
  const groupRaw = params.group_by === undefined ? [] : ([] as unknown[]).concat(params.group_by);
  for (const part of groupRaw.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean)) {
    if (!(USAGE_DIMENSIONS as readonly string[]).includes(part)) problems.push({ field: 'group_by', reason: `'${part}' is not one of ${USAGE_DIMENSIONS.join(', ')}` });
    else if (!groupBy.includes(part as UsageDimension)) groupBy.push(part as UsageDimension);
  }
  const filters: UsageQuery['filters'] = {};
  for (const dim of USAGE_DIMENSIONS) {
    if (params[dim] === undefined) continue;
    const values = ([] as unknown[]).concat(params[dim]).flatMap((v) => String(v).split(','));
    if (values.some((v) => v.length > 256)) problems.push({ field: dim, reason: 'values are at most 256 characters' });
    filters[dim] = [...new Set(values)];
  }
  if (problems.length) throw ValidationError.of(problems, 'invalid usage query');
  return { from: from!, to: to!, grain: grain!, groupBy, filters };
}

/**
 * Confines a usage query to the teams a caller may read (`teams` null: every team). Without a team filter the
 * query gets one naming exactly those teams (none: an empty answer); a filter naming any other team is refused,
 * never narrowed quietly, so a caller cannot mistake a partial answer for the whole. Grouping by team stays
 * allowed: the forced filter already keeps other teams' rows out.
 */
export function limitUsageQueryToTeams(query: UsageQuery, teams: readonly string[] | null): UsageQuery {
  if (teams === null) return query;
  const asked = query.filters.team;
  if (asked === undefined) return { ...query, filters: { ...query.filters, team: [...teams] } };
  const outside = asked.filter((team) => !teams.includes(team));
  if (outside.length) throw new ForbiddenError(`team: this caller may read usage of ${teams.length ? teams.join(', ') : 'no team'} only, not ${outside.join(', ')}`);
  return query;
}
