/** A CSV cell: numbers, booleans and null (empty) are written as they are; strings are text. */
export type CsvCell = string | number | boolean | null;

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * One text cell, RFC 4180-quoted. A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is
 * neutralised with a leading `'`; a plain decimal such as a credit's `-0.05` is a number, not a formula, and stays.
 */
export function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A CSV document for spreadsheets: one header line, CRLF line ends, every string cell through `csvText`. */
export function encodeCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const cell = (v: CsvCell) => (v === null ? '' : typeof v === 'string' ? csvText(v) : String(v));
  const lines = [header.map(csvText).join(',')];
  for (const row of rows) lines.push(row.map(cell).join(','));
  return lines.join('\r\n') + '\r\n';
}
