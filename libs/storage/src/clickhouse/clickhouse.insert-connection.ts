import type { ClickHouseClient } from '@clickhouse/client';

/** The slice of chDB's connection extension (`connection.chdb`) that raw inserts use. */
export interface ChdbRawInserter {
  rawInsert(params: { table: string; columns: readonly string[]; values: Buffer; format: 'TabSeparated' | 'JSONEachRow' | 'CSV'; settings?: Record<string, string | number | boolean> }): Promise<unknown>;
}

/**
 * A chDB connection reserved for raw inserts, per embedded client (set up by createClickHouseClient). Internal to
 * this lib: callers only ever see `insertRawBody(client, ...)`.
 */
export const chdbInsertConnections = new WeakMap<ClickHouseClient, ChdbRawInserter>();
