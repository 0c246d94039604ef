import { Readable } from 'node:stream';
import { ClickHouseClient, ClickHouseError, ClickHouseSettings, parseError } from '@clickhouse/client';
import { ChdbRawInserter, chdbInsertConnections } from './clickhouse.insert-connection';

/** Text formats both backends accept as a pre-serialised body. */
export type RawInsertFormat = 'TabSeparated' | 'JSONEachRow' | 'CSV';

export interface RawInsertParams {
  table: string;
  columns: readonly string[];
  format: RawInsertFormat;
  /** The rows, already serialised in `format` (UTF-8). Sent as is: never re-encoded or copied into a string. */
  body: Buffer;
  settings?: ClickHouseSettings;
}


/** Settings that only mean something to the HTTP server layer; chDB rejects them (chdb/connection drops them too). */
const HTTP_ONLY = /^(wait_end_of_query|send_progress_in_http_headers|enable_http_compression|http_.*)$/;

/** The client's own insert connection if it has one, else its chDB connection; undefined for the HTTP client. */
function chdbInserter(client: ClickHouseClient): ChdbRawInserter | undefined {
  const reserved = chdbInsertConnections.get(client);
  if (reserved) return reserved;
  const chdb = (client as unknown as { connection?: { chdb?: Partial<ChdbRawInserter> } }).connection?.chdb;
  return typeof chdb?.rawInsert === 'function' ? (chdb as ChdbRawInserter) : undefined;
}

/**
 * INSERT of a body serialised by the caller, on either backend. chDB's own connection turns an insert stream back
 * into a string and appends it to the SQL text (two full copies of the body); its raw entry point instead hands the
 * Buffer to the engine untouched, where the parser reads it on its own threads — on a connection of its own when the
 * client came from createClickHouseClient, so reads are not held up behind it. A ClickHouse server gets the same
 * bytes through the client's ordinary streamed insert. Errors carrying a ClickHouse code come back as the client's
 * `ClickHouseError` on both backends, so callers classify them one way.
 */
export async function insertRawBody(client: ClickHouseClient, params: RawInsertParams): Promise<void> {
  if (params.body.length === 0) return;
  const chdb = chdbInserter(client);
  if (!chdb) {
    await client.insert({
      table: params.table,
      columns: params.columns as [string, ...string[]],
      values: Readable.from([params.body], { objectMode: false }),
      format: params.format,
      clickhouse_settings: params.settings,
    });
    return;
  }
  // The client's own defaults apply to every statement it sends; the raw path bypasses the client, so add them here.
  const settings: Record<string, string | number | boolean> = {};
  const defaults = (client as unknown as { clientClickHouseSettings?: ClickHouseSettings }).clientClickHouseSettings;
  for (const [key, value] of Object.entries({ ...defaults, ...params.settings })) {
    if (value !== undefined && !HTTP_ONLY.test(key)) settings[key] = value as string | number | boolean;
  }
  try {
    await chdb.rawInsert({ table: params.table, columns: params.columns, values: params.body, format: params.format, settings });
  } catch (error) {
    const mapped = parseError(error instanceof Error ? error.message : String(error));
    if (!(mapped instanceof ClickHouseError)) throw error;
    mapped.cause = error;
    throw mapped;
  }
}
