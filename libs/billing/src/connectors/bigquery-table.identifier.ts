import { ValidationError } from '@tollgate/core';

/**
 * BigQuery's documented identifier grammar, checked before a table name goes between backticks in SQL (it cannot be
 * a query parameter): project ids are 6–30 lowercase letters, digits and hyphens, starting with a letter and not
 * ending with a hyphen, optionally after a `domain:` prefix; dataset ids are letters, digits and underscores (up to
 * 1,024); table ids are Unicode letters, marks, numbers, connectors, dashes and spaces (categories L, M, N, Pc, Pd,
 * Zs; up to 1,024). None of them can hold a backtick, a dot of its own, or a quote.
 */
const TABLE = /^(?:((?:[a-z][a-z0-9-]*\.)*[a-z][a-z0-9-]*:)?([a-z][a-z0-9-]{4,28}[a-z0-9])\.)?([A-Za-z0-9_]{1,1024})\.([\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]{1,1024})$/u;

export const BIGQUERY_TABLE_HINT = '`project.dataset.table` or `dataset.table` by BigQuery naming rules (project: 6-30 of a-z, 0-9, -; dataset: A-Z, a-z, 0-9, _; table: letters, marks, numbers, _, -, spaces)';

export function isBigQueryTable(table: string): boolean {
  return table.length <= 2200 && TABLE.test(table);
}

/** The table as a backtick-quoted SQL reference, or a ValidationError naming `settings.table`. */
export function quotedBigQueryTable(table: string): string {
  if (!isBigQueryTable(table)) throw ValidationError.field('settings.table', `not a BigQuery table name: ${BIGQUERY_TABLE_HINT}`);
  return `\`${table}\``;
}
