import { IncomingHttpHeaders } from 'node:http';
import { FieldProblem, ValidationError } from '@tollgate/core';

/** Who a request is for, recorded on its telemetry row. */
export interface Attribution {
  feature: string;
  customer: string;
  team: string;
  env: string;
}

/** Defaults a virtual key carries (`virtual_keys.defaults`). */
export type AttributionDefaults = Partial<Attribution>;

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
 * Resolves attribution: headers first, then (customer only) the OpenAI `user` field, then the virtual key's
 * defaults; feature falls back to `unattributed`. Every supplied value is validated; all problems are reported at
 * once in one ValidationError naming the header or field.
 */
export function resolveAttribution(headers: IncomingHttpHeaders, user: unknown, defaults: AttributionDefaults | undefined): Attribution {
  const problems: FieldProblem[] = [];
  const pick = (key: keyof Attribution): string => {
    const rule = TAG_RULES[key];
    const fromHeader = header(headers, rule.header);
    if (fromHeader !== undefined) return check(rule.header, fromHeader.trim(), rule, problems);
    if (key === 'customer' && typeof user === 'string' && user !== '') return check('user', user, rule, problems);
    return defaults?.[key] ?? '';
  };
  const attribution: Attribution = { feature: pick('feature'), customer: pick('customer'), team: pick('team'), env: pick('env') };
  if (problems.length) {
    throw new ValidationError(`invalid attribution: ${problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`, problems);
  }
  if (attribution.feature === '') attribution.feature = UNATTRIBUTED;
  return attribution;
}

/** Validates a virtual key's defaults with the same rules as the headers; problems name `defaults.<tag>`. */
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
