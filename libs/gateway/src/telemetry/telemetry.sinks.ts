import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { Logger, UnavailableError } from '@tollgate/core';
import { ClickHouseTelemetryWriter, LlmRequestRow, toLlmRequestRow, validateTelemetryEvents } from '@tollgate/telemetry';
import { SpoolBatch, TelemetrySink } from './telemetry.spool';

const logger = new Logger('telemetry-sink');

/** Events that can never be stored (a bug, not an outage) are logged with the reasons and skipped, never retried forever. */
function reportInvalid(errors: { index?: number; field: string; reason: string }[]): void {
  if (errors.length) logger.error('telemetry events rejected as invalid; skipped', { count: errors.length, problems: errors.slice(0, 10) });
}

/**
 * Lines decoded between two turns of the event loop: a delivered batch (thousands of events) is parsed and checked on
 * the proxy's own thread, and in one piece it would hold every request waiting behind it for milliseconds.
 */
const LINES_PER_TURN = 250;

/** All-in-one process: spooled events go straight into ClickHouse through the shared batched writer. */
export class ClickHouseSink implements TelemetrySink {
  constructor(private readonly writer: ClickHouseTelemetryWriter) {}

  async send(batch: SpoolBatch): Promise<void> {
    const lines = batch.lines();
    const rows: LlmRequestRow[] = [];
    for (let start = 0; start < lines.length; start += LINES_PER_TURN) {
      if (start > 0) await yieldToEventLoop();
      const items: unknown[] = [];
      for (const line of lines.slice(start, start + LINES_PER_TURN)) {
        try {
          items.push(JSON.parse(line));
        } catch {
          reportInvalid([{ field: '(line)', reason: 'not JSON' }]);
        }
      }
      const { valid, errors } = validateTelemetryEvents(items);
      reportInvalid(errors);
      for (const v of valid) rows.push(toLlmRequestRow(v.event));
    }
    if (rows.length) await this.writer.write(rows);
  }
}

/**
 * Separate proxy process: spooled events are POSTed in batches to the api's collector (`POST /v1/telemetry`) with
 * the collector token, as NDJSON. 2xx: stored (per-event rejections are logged); 400: no event was valid (logged,
 * skipped); 413: split in halves; anything else throws so the spool retries it in order. A batch larger than the
 * collector reads is split before it is sent: the collector cuts such an upload off mid-way (no 413 reaches the
 * client), and the spool would retry it forever.
 */
export class CollectorSink implements TelemetrySink {
  private readonly agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  private readonly url: string;

  constructor(
    collectorUrl: string,
    private readonly token: string,
    /** Largest body sent; below the collector's 10 MiB limit (MAX_TELEMETRY_BODY_BYTES in apps/api). */
    private readonly maxBodyBytes = 8 * 1024 * 1024,
  ) {
    this.url = `${collectorUrl.replace(/\/+$/, '')}/v1/telemetry`;
  }

  async send(batch: SpoolBatch): Promise<void> {
    if (batch.ndjson.length > this.maxBodyBytes) {
      if (batch.count === 1) {
        reportInvalid([{ field: '(event)', reason: `a single event of ${batch.ndjson.length} bytes exceeds the collector's body limit` }]);
        return;
      }
      const [first, rest] = batch.halves();
      await this.send(first);
      await this.send(rest);
      return;
    }
    let response;
    try {
      response = await request(this.url, {
        method: 'POST',
        dispatcher: this.agent,
        // NDJSON: the spool's bytes go out as they are, never decoded here.
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${this.token}` },
        body: batch.ndjson,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (error) {
      throw new UnavailableError(`telemetry collector unreachable: ${(error as Error).message}`, error);
    }
    const text = await response.body.text();
    const status = response.statusCode;
    if (status === 413 && batch.count > 1) {
      // Over the collector's size limit: halve until it fits, keeping the order.
      const [first, rest] = batch.halves();
      await this.send(first);
      await this.send(rest);
      return;
    }
    const parsed = safeJson(text) as { errors?: { index?: number; field: string; reason: string }[] } | undefined;
    if (status >= 200 && status < 300) {
      if (parsed?.errors?.length) reportInvalid(parsed.errors);
      return;
    }
    if (status === 400) {
      // No event of the batch was valid: retrying cannot help.
      reportInvalid(parsed?.errors ?? [{ field: '(batch)', reason: text.slice(0, 500) }]);
      return;
    }
    // 401/403 (token being rotated), 408, 413 of a single event, 429, 5xx: keep it spooled and retry.
    throw new UnavailableError(`telemetry collector answered ${status}: ${text.slice(0, 200)}`);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
