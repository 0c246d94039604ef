/** Renders a JSON Schema (zod's `z.toJSONSchema` output) as the short type notes the generated docs' tables show. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
}

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/** `string, 1–128 chars`, `integer 0–999`, `one of a, b`, `decimal string`, … (enough to write a valid value). */
export function typeNote(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeNote).join(' or ');
  if (schema.enum) return `one of ${schema.enum.map((v) => (v === '' ? '`""`' : `\`${String(v)}\``)).join(', ')}`;
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  if (type === 'string') {
    if (schema.format === 'date-time') return 'ISO-8601 timestamp with a zone';
    if (schema.format === 'uri') return 'URL';
    if (schema.pattern === '^[-+]?(\\d+\\.?\\d*|\\.\\d+)$') return 'decimal string (no exponent)';
    if (schema.pattern === '^[A-Z]{3}$') return 'ISO-4217 currency code';
    const length = schema.minLength && schema.maxLength ? `${schema.minLength}–${schema.maxLength} chars` : schema.maxLength ? `≤ ${schema.maxLength} chars` : schema.minLength ? 'non-empty' : '';
    const pattern = schema.pattern ? `matching \`${schema.pattern}\`` : '';
    return ['string', [length, pattern].filter(Boolean).join(', ')].filter(Boolean).join(', ');
  }
  if (type === 'integer' || type === 'number') {
    const max = schema.maximum === undefined || schema.maximum >= SAFE_INTEGER ? '' : `${schema.maximum}`;
    if (schema.minimum !== undefined && max) return `${type} ${schema.minimum}–${max}`;
    if (schema.minimum !== undefined) return `${type} ≥ ${schema.minimum}`;
    return type;
  }
  if (type === 'array') return `array${schema.maxItems !== undefined ? ` (≤ ${schema.maxItems})` : ''} of ${schema.items ? typeNote(schema.items) : 'values'}`;
  if (type === 'object') {
    if (schema.properties) return `object {${Object.keys(schema.properties).join(', ')}}`;
    if (typeof schema.additionalProperties === 'object') return `object of ${typeNote(schema.additionalProperties)}`;
    return 'object';
  }
  return type ?? 'any JSON value';
}

/** A default as the docs show it: `""`, `0`, `[]`, or the value in code style; blank when there is none. */
export function defaultNote(schema: JsonSchema): string {
  return schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``;
}

/** Escapes a cell of a Markdown table. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
