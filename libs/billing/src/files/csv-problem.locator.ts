import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

export interface CsvProblem {
  line: number;
  reason: string;
}

/**
 * Finds the first structural CSV fault (broken quoting, wrong column count) and its physical line. Used only after
 * ClickHouse refused a file — its parallel parser cannot always say where — so speed is secondary to a precise line.
 */
export async function locateCsvProblem(path: string): Promise<CsvProblem | undefined> {
  const input = createReadStream(path);
  const stream = path.endsWith('.gz') ? input.pipe(createGunzip()) : input;
  stream.setEncoding('utf8');
  let line = 1;
  let recordLine = 1;
  let fields = 1;
  let headerFields: number | undefined;
  let inQuotes = false;
  let afterQuote = false;
  let atFieldStart = true;
  let quoteOpenedLine = 0;
  let pendingQuote = false;
  const endRecord = (): CsvProblem | undefined => {
    if (headerFields === undefined) headerFields = fields;
    else if (fields !== headerFields && !(fields === 1 && atFieldStart)) {
      return { line: recordLine, reason: `${fields} columns where the header has ${headerFields}` };
    }
    fields = 1;
    atFieldStart = true;
    afterQuote = false;
    recordLine = line;
    return undefined;
  };
  for await (const chunk of stream as AsyncIterable<string>) {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i];
      if (pendingQuote) {
        pendingQuote = false;
        if (ch === '"') continue; // escaped quote inside a quoted field
        inQuotes = false;
        afterQuote = true;
      }
      if (inQuotes) {
        if (ch === '"') pendingQuote = true;
        else if (ch === '\n') line++;
        continue;
      }
      if (ch === '\n') {
        line++;
        const problem = endRecord();
        if (problem) return problem;
        continue;
      }
      if (ch === '\r' || ch === '\uFEFF') continue;
      if (ch === ',') {
        fields++;
        atFieldStart = true;
        afterQuote = false;
        continue;
      }
      if (afterQuote) return { line, reason: `unexpected '${ch}' after a closing quote` };
      if (ch === '"') {
        if (!atFieldStart) return { line, reason: 'a quote inside an unquoted field' };
        inQuotes = true;
        quoteOpenedLine = line;
        atFieldStart = false;
        continue;
      }
      atFieldStart = false;
    }
  }
  if (pendingQuote) inQuotes = false;
  if (inQuotes) return { line: quoteOpenedLine, reason: 'a quoted field is never closed' };
  if (!atFieldStart || fields > 1) return endRecord();
  return undefined;
}

/** Physical line of the data record at 0-based `row` (records may span lines inside quotes). */
export async function lineOfCsvRow(path: string, row: number): Promise<number> {
  const input = createReadStream(path);
  const stream = path.endsWith('.gz') ? input.pipe(createGunzip()) : input;
  stream.setEncoding('utf8');
  let line = 1;
  let record = -1; // the header is record -1
  let inQuotes = false;
  for await (const chunk of stream as AsyncIterable<string>) {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i];
      if (ch === '"') inQuotes = !inQuotes;
      else if (ch === '\n') {
        line++;
        if (!inQuotes) {
          record++;
          if (record === row) {
            stream.destroy();
            return line;
          }
        }
      }
    }
  }
  return row + 2;
}
