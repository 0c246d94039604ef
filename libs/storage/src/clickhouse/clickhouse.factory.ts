import { mkdirSync } from 'node:fs';
import { ClickHouseClient, ClickHouseSettings, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { chdbInsertConnections } from './clickhouse.insert-connection';
import { ClickHouseLogAdapter } from './clickhouse.log-adapter';

/** Settings every Tollgate query runs with: decimals and 64-bit integers come back as strings, never floats. */
const CLIENT_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_decimals: 1,
  output_format_json_quote_64bit_integers: 1,
  date_time_input_format: 'best_effort',
};
const LOG = { LoggerClass: ClickHouseLogAdapter };

export interface ClickHouseTarget {
  /** http(s):// URL of a ClickHouse server; undefined means chDB in this process under `embeddedDir`. */
  url?: string;
  embeddedDir: string;
  database: string;
}

/**
 * One `@clickhouse/client` for either backend. chDB binds one data directory per process and ignores the
 * client's `database` option, so the embedded session switches to the database with USE (it sticks to the session).
 */
export async function createClickHouseClient(target: ClickHouseTarget): Promise<ClickHouseClient> {
  if (target.url) {
    const bootstrap = createClient({ url: target.url, clickhouse_settings: CLIENT_SETTINGS, log: LOG });
    try {
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(target.database)}` });
    } finally {
      await bootstrap.close();
    }
    return createClient({
      url: target.url,
      database: target.database,
      clickhouse_settings: CLIENT_SETTINGS,
      log: LOG,
      max_open_connections: 20,
      keep_alive: { enabled: true },
    });
  }
  mkdirSync(target.embeddedDir, { recursive: true });
  const client = createClient({
    connection: createChdbConnection({ path: target.embeddedDir }),
    clickhouse_settings: CLIENT_SETTINGS,
    log: LOG,
  } as Parameters<typeof createClient>[0]);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(target.database)}` });
  await client.command({ query: `USE ${quoteIdentifier(target.database)}` });
  // chDB runs one statement at a time per connection: a large INSERT on the shared one would hold back every read
  // behind it (the telemetry writer looks its next batch up while the previous one is inserted). Raw inserts
  // (insertRawBody) get a second connection on the same data directory, closed with the client.
  const inserts = createChdbConnection({ path: target.embeddedDir });
  try {
    await inserts.command({ query: `USE ${quoteIdentifier(target.database)}` });
  } catch (error) {
    await inserts.close();
    await client.close();
    throw error;
  }
  chdbInsertConnections.set(client, inserts.chdb);
  const close = client.close.bind(client);
  client.close = async () => {
    try {
      await close();
    } finally {
      await inserts.close();
    }
  };
  return client;
}

export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return `\`${name}\``;
}
