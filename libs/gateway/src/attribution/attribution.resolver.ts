import { IncomingHttpHeaders } from 'node:http';
import { FieldProblem, ForbiddenError, ValidationError } from '@tollgate/core';

/** Who a request is for, recorded on its telemetry row. */
export interface Attribution {
  feature: string;
  customer: string;
  team: string;
  env: string;
}

/** Defaults a virtual key carries (`virtual_keys.defaults`): a header replaces them. */
export type AttributionDefaults = Partial<Attribution>;

/** Attribution a virtual key fixes (`virtual_keys.fixed`): no header, `user` field or default replaces it. */
export type AttributionFixed = Partial<Attribution>;

/**
 * A request named a value other than its key's fixed one (`x-tollgate-team: team-b` on a key fixed to team-a).
 * Refused rather than recorded elsewhere: the spend of a key belongs where its owner put it, and a caller that
 * tries to book it elsewhere should learn so at once, not find it in a report later.
 */
export class AttributionFixedError extends ForbiddenError {
  constructor(readonly headers: string[], message: string) {
    super(message);
  }
}

/** Recorded when neither a header nor the virtual key names the feature: such requests are kept, never dropped. */
export const UNATTRIBUTED = 'unattributed';

/**
 * Tag values end up as ClickHouse keys and dashboard labels: printable ASCII without spaces, quotes or
 * separators that break CSV/URLs, starting with a letter or digit. Customers get more room (e-mails, tenant ids).
 */
const TAG_RULES: Record<keyof Attribution, { header: string; max: number; pattern: RegExp; charset: string }> = {
  feature: { header: 'x-tollgate-feature', max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, charset: 'letters, digits and . _ : / -' },
  team: { header: 'x-tollgate-team', max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, charset: 'letters, digits and . _ : / -' },
  env: { header: 'x-tollgate-env', max: 32, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, charset: 'letters, digits and . _ -' },
  customer: { header: 'x-tollgate-customer', max: 128, pattern: /^[A-Za-z0-9][A-Za-z0-9._:/@+=|-]*$/, charset: 'letters, digits and . _ : / @ + = | -' },
};

function check(field: string, value: string, rule: (typeof TAG_RULES)[keyof Attribution], problems: FieldProblem[]): string {
  if (value.length > rule.max) problems.push({ field, reason: `is ${value.length} characters long; at most ${rule.max} allowed` });
  else if (!rule.pattern.test(value)) problems.push({ field, reason: `contains characters outside ${rule.charset} (must start with a letter or digit)` });
  return value;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Resolves attribution: the virtual key's fixed tags first (a header may repeat one, not change it: an
 * AttributionFixedError naming every such header), then headers, then (customer only) the OpenAI `user` field, then
 * the key's defaults; feature falls back to `unattributed`. A fixed customer ignores `user`, which SDKs send as an
 * end-user id on every request. Every supplied value is validated; all problems are reported at once in one
 * ValidationError naming the header or field.
 */
export function resolveAttribution(
  headers: IncomingHttpHeaders,
  user: unknown,
  defaults: AttributionDefaults | undefined,
  fixed?: AttributionFixed,
): Attribution {
  const problems: FieldProblem[] = [];
  const overridden: { header: string; fixedTo: string }[] = [];
  const pick = (key: keyof Attribution): string => {
    const rule = TAG_RULES[key];
    const fromHeader = header(headers, rule.header);
    const fixedValue = fixed?.[key];
    if (fixedValue !== undefined) {
      if (fromHeader !== undefined && fromHeader.trim() !== fixedValue) overridden.push({ header: rule.header, fixedTo: fixedValue });
      return fixedValue;
    }
    if (fromHeader !== undefined) return check(rule.header, fromHeader.trim(), rule, problems);
    if (key === 'customer' && typeof user === 'string' && user !== '') return check('user', user, rule, problems);
    return defaults?.[key] ?? '';
  };
  const attribution: Attribution = { feature: pick('feature'), customer: pick('customer'), team: pick('team'), env: pick('env') };
  if (overridden.length) {
    const named = overridden.map((o) => `${o.header} (fixed to '${o.fixedTo}')`).join(', ');
    throw new AttributionFixedError(
      overridden.map((o) => o.header),
      `this virtual key fixes its attribution: remove or correct ${named}`,
    );
  }
  if (problems.length) {
    throw new ValidationError(`invalid attribution: ${problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`, problems);
  }
  if (attribution.feature === '') attribution.feature = UNATTRIBUTED;
  return attribution;
}

/** Validates a virtual key's defaults (or fixed tags) with the same rules as the headers; problems name `<field>.<tag>`. */
export function validateAttributionDefaults(defaults: unknown, field = 'defaults'): AttributionDefaults {
  if (defaults === undefined || defaults === null) return {};
  if (typeof defaults !== 'object' || Array.isArray(defaults)) throw ValidationError.field(field, 'must be an object with feature, customer, team, env');
  const problems: FieldProblem[] = [];
  const out: AttributionDefaults = {};
  for (const [key, value] of Object.entries(defaults as Record<string, unknown>)) {
    if (!(key in TAG_RULES)) {
      problems.push({ field: `${field}.${key}`, reason: 'unknown tag; allowed: feature, customer, team, env' });
      continue;
    }
    if (typeof value !== 'string') {
      problems.push({ field: `${field}.${key}`, reason: 'must be a string' });
      continue;
    }
    out[key as keyof Attribution] = check(`${field}.${key}`, value, TAG_RULES[key as keyof Attribution], problems);
  }
  if (problems.length) throw new ValidationError(`invalid ${field}: ${problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`, problems);
  return out;
}

/**
 * A virtual key's attribution as stored: `defaults` (overridable) and `fixed` (not). When `fixed` is not given, a key
 * with a default team has that team fixed: a key is issued to a team, and its spend is that team's to answer for
 * (an explicit `fixed: {}` makes a shared key whose callers name their own team). A default that disagrees with a
 * fixed tag could never apply, so it is refused rather than kept to mislead.
 */
export function validateKeyAttribution(defaultsInput: unknown, fixedInput: unknown): { defaults: AttributionDefaults; fixed: AttributionFixed } {
  const defaults = validateAttributionDefaults(defaultsInput, 'defaults');
  const fixed = fixedInput === undefined ? (defaults.team !== undefined ? { team: defaults.team } : {}) : validateAttributionDefaults(fixedInput, 'fixed');
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(fixed) as (keyof Attribution)[]) {
    if (defaults[key] !== undefined && defaults[key] !== fixed[key]) {
      problems.push({ field: `defaults.${key}`, reason: `is '${defaults[key]}' but fixed.${key} is '${fixed[key]}'; a fixed tag cannot have another default` });
    }
  }
  if (problems.length) throw ValidationError.of(problems, 'invalid key attribution');
  return { defaults, fixed };
}
