import { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { BillingInputError } from '../ledger/billing-ledger.repository';
import { AMBIGUOUS_FORMATS, BillingFileFormat, HeaderProblem, LEDGER_DATA_COLUMNS, badValuePredicate, buildMapping, detectFormat } from './billing-file.formats';
import { lineOfCsvRow, locateCsvProblem } from './csv-problem.locator';

/** Where ClickHouse reads a file from: its own file() table function, or s3() for object storage. */
export type BillingFileLocation =
  | { kind: 'local'; path: string }
  | { kind: 's3'; url: string; accessKeyId?: string; secretAccessKey?: string };

export interface BillingFileRef {
  location: BillingFileLocation;
  /** Recorded as source_file and named in errors (a file name or s3:// URI, never a credential). */
  name: string;
  /** Layout; detected from the header when omitted. */
  format?: BillingFileFormat;
  /**
   * The export run the file belongs to (a manifest, a run folder, or the file itself) and when it was written. When
   * files carry it, each (billing period, provider, billing account) is taken from the newest run that has it, so a
   * restated export replaces the original instead of adding to it.
   */
  exportRun?: { id: string; at: number };
}

export interface StageContext {
  sourceId: string;
  sourceKind: string;
  syncRunId: string;
  ingestVersion: number;
  /** Keep only lines of these periods (YYYY-MM-01): syncing one month out of files that hold several. */
  onlyPeriods?: string[];
  /** Skip lines whose `period|provider|billing account` a newer export run already gave. */
  excludeRestated?: string[];
}

/**
 * Every CSV column is read as Nullable(String): the mapping SQL does the conversions, so a bad value fails the
 * insert instead of silently becoming a different type, and the literal `NULL` is just text to nullIf away.
 */
const READ_SETTINGS: ClickHouseSettings = {
  input_format_csv_use_best_effort_in_schema_inference: 0,
  input_format_tsv_use_best_effort_in_schema_inference: 0,
  schema_inference_make_columns_nullable: 1,
  input_format_max_rows_to_read_for_schema_inference: '100',
  input_format_csv_allow_variable_number_of_columns: 0,
  input_format_allow_errors_num: '0',
  input_format_allow_errors_ratio: 0,
  input_format_json_read_numbers_as_strings: 1,
  input_format_json_infer_incomplete_types_as_strings: 1,
};

/**
 * Loads billing files into the ledger's staging table with one `INSERT … SELECT … FROM file()/s3()` per file:
 * ClickHouse parses and converts, JavaScript never touches a row. When the insert fails, the file is read again
 * only to name the first bad line.
 */
export class BillingFileIngester {
  /** `pathForClickHouse`: a local path as the ClickHouse server sees it (a shared volume); identity for chDB. */
  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly pathForClickHouse: (path: string) => string = (path) => path,
  ) {}

  async stage(file: BillingFileRef, ctx: StageContext): Promise<{ format: BillingFileFormat }> {
    const headers = await this.headers(file);
    const format = file.format ?? detectFormat(headers);
    if (!format) throw new BillingInputError(file.name, 1, 'header', 'not a FOCUS, AWS CUR or Azure cost export header');
    const candidates = file.format ? undefined : AMBIGUOUS_FORMATS[format];
    if (candidates) {
      throw new BillingInputError(file.name, undefined, 'format', `the header fits ${candidates.join(' and ')} alike (same columns); say which with format=${candidates.join(' or format=')}`);
    }
    let mapping;
    try {
      mapping = buildMapping(format, headers);
    } catch (error) {
      if (error instanceof HeaderProblem) throw new BillingInputError(file.name, 1, 'header', error.message);
      throw error;
    }
    const isCsv = tableFormat(file) === 'CSVWithNames';
    const columns = LEDGER_DATA_COLUMNS.map((c) => `\`${c}\``).join(', ');
    const exprs = LEDGER_DATA_COLUMNS.map((c) => `${mapping.select[c]} AS \`${c}\``).join(',\n  ');
    const { source, params } = this.tableFunction(file);
    const where = [
      ...(ctx.onlyPeriods ? ['has({onlyPeriods:Array(String)}, toString(billing_period))'] : []),
      ...(ctx.excludeRestated?.length ? [`NOT has({excludeRestated:Array(String)}, ${restatementKey(mapping.select)})`] : []),
    ];
    try {
      await this.clickhouse.command({
        query: `INSERT INTO billing_lines_staging (source_id, source_kind, source_file, source_line, sync_run_id, ingest_version, ${columns})
SELECT {sourceId:String}, {sourceKind:String}, {sourceFile:String}, _row_number + ${isCsv ? 2 : 1}, {syncRunId:String}, {ingestVersion:UInt64},
  ${exprs}
FROM ${source}${where.length ? `\nWHERE ${where.join(' AND ')}` : ''}`,
        query_params: { ...params, ...(ctx.onlyPeriods ? { onlyPeriods: ctx.onlyPeriods } : {}), ...(ctx.excludeRestated?.length ? { excludeRestated: ctx.excludeRestated } : {}), sourceId: ctx.sourceId, sourceKind: ctx.sourceKind, sourceFile: file.name, syncRunId: ctx.syncRunId, ingestVersion: ctx.ingestVersion },
        clickhouse_settings: { ...READ_SETTINGS, max_insert_threads: '4', compile_expressions: 1, min_count_to_compile_expression: '0' },
      });
    } catch (error) {
      throw await this.diagnose(file, mapping.checks, error as Error);
    }
    return { format };
  }

  /** Column names from ClickHouse's own reading of the file (CSV, CSV.gz and Parquet alike). */
  private async headers(file: BillingFileRef): Promise<string[]> {
    const { source, params } = this.tableFunction(file);
    try {
      const result = await this.clickhouse.query({ query: `DESCRIBE TABLE ${source}`, query_params: params, format: 'JSONEachRow', clickhouse_settings: READ_SETTINGS });
      return (await result.json<{ name: string }>()).map((r) => r.name.replace(/^\uFEFF/, ''));
    } catch (error) {
      throw await this.diagnose(file, [], error as Error);
    }
  }

  private tableFunction(file: BillingFileRef): { source: string; params: Record<string, string> } {
    const format = tableFormat(file);
    if (file.location.kind === 'local') {
      return { source: `file({path:String}, {format:String})`, params: { path: this.pathForClickHouse(file.location.path), format } };
    }
    if (file.location.accessKeyId) {
      return {
        source: `s3({url:String}, {accessKeyId:String}, {secretAccessKey:String}, {format:String})`,
        params: { url: file.location.url, accessKeyId: file.location.accessKeyId, secretAccessKey: file.location.secretAccessKey ?? '', format },
      };
    }
    return { source: `s3({url:String}, NOSIGN, {format:String})`, params: { url: file.location.url, format } };
  }

  /** Names the first bad line: a value that does not parse, else the CSV structure fault, else ClickHouse's own words. */
  private async diagnose(file: BillingFileRef, checks: ReturnType<typeof buildMapping>['checks'], cause: Error): Promise<Error> {
    const isCsv = tableFormat(file) === 'CSVWithNames';
    const local = file.location.kind === 'local' ? file.location.path : undefined;
    if (checks.length) {
      const { source, params } = this.tableFunction(file);
      try {
        const result = await this.clickhouse.query({
          query: `SELECT _row_number AS row, [${checks.map(badValuePredicate).join(', ')}] AS bad, [${checks.map((c) => `toString(${'`'}${c.column.replace(/`/g, '\\`')}${'`'})`).join(', ')}] AS raw
                  FROM ${source} WHERE ${checks.map(badValuePredicate).join(' OR ')} ORDER BY row LIMIT 1`,
          query_params: params,
          format: 'JSONEachRow',
          clickhouse_settings: READ_SETTINGS,
        });
        const [hit] = await result.json<{ row: string; bad: number[]; raw: (string | null)[] }>();
        if (hit) {
          const i = hit.bad.findIndex((b) => Number(b) === 1);
          const check = checks[i];
          const row = Number(hit.row);
          const line = isCsv ? (local ? await lineOfCsvRow(local, row) : row + 2) : row + 1;
          const value = hit.raw[i];
          const reason = value === null || value === '' || value === 'NULL'
            ? `empty ${check.column}`
            : `${check.kind === 'money' || check.kind === 'quantity' ? 'not a number' : 'not a date/time'}: '${value}' in column ${check.column}`;
          return new BillingInputError(file.name, line, check.field, reason);
        }
      } catch {
        // The file does not even parse; fall through to the structural check.
      }
    }
    if (isCsv && local) {
      const structural = await locateCsvProblem(local);
      if (structural) return new BillingInputError(file.name, structural.line, 'csv', structural.reason);
    }
    const row = /at row (\d+)/i.exec(cause.message);
    return new BillingInputError(file.name, row ? Number(row[1]) + 1 : undefined, 'file', cause.message.split('\n')[0].slice(0, 500));
  }
}

/** What one export run restates: a billing period of one provider's billing account (the same key in staging SQL). */
export function restatementKey(select: Record<string, string>): string {
  return `concat(toString(${select.billing_period}), '|', ${select.ProviderName}, '|', ${select.BillingAccountId})`;
}

/** ClickHouse input format by file name; connectors write their API answers as .ndjson in FOCUS columns. */
function tableFormat(file: BillingFileRef): 'CSVWithNames' | 'Parquet' | 'JSONEachRow' {
  const name = file.location.kind === 'local' ? file.location.path : file.location.url;
  if (/\.parquet$/i.test(name)) return 'Parquet';
  if (/\.(ndjson|jsonl)(\.gz)?$/i.test(name)) return 'JSONEachRow';
  return 'CSVWithNames';
}
