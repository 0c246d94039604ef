import { Agent, request } from 'undici';
import { Logger, UnavailableError } from '@tollgate/core';
import { ClickHouseTelemetryWriter, toLlmRequestRow, validateTelemetryEvents } from '@tollgate/telemetry';
import { TelemetrySink } from './telemetry.spool';

const logger = new Logger('telemetry-sink');

/** Events that can never be stored (a bug, not an outage) are logged with the reasons and skipped, never retried forever. */
function reportInvalid(errors: { index?: number; field: string; reason: string }[]): void {
  if (errors.length) logger.error('telemetry events rejected as invalid; skipped', { count: errors.length, problems: errors.slice(0, 10) });
}

/** All-in-one process: spooled events go straight into ClickHouse through the shared batched writer. */
export class ClickHouseSink implements TelemetrySink {
  constructor(private readonly writer: ClickHouseTelemetryWriter) {}

  async send(lines: string[]): Promise<void> {
    const items: unknown[] = [];
    for (const line of lines) {
      try {
        items.push(JSON.parse(line));
      } catch {
        reportInvalid([{ field: '(line)', reason: 'not JSON' }]);
      }
    }
    const { valid, errors } = validateTelemetryEvents(items);
    reportInvalid(errors);
    if (valid.length) await this.writer.write(valid.map((v) => toLlmRequestRow(v.event)));
  }
}

/**
 * Separate proxy process: spooled events are POSTed in batches to the api's collector (`POST /v1/telemetry`) with
 * the collector token. 2xx: stored (per-event rejections are logged); 4xx other than 408/429: the batch itself is bad
 * and retrying cannot help (logged, skipped); anything else throws so the spool retries it in order.
 */
export class CollectorSink implements TelemetrySink {
  private readonly agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  private readonly url: string;

  constructor(
    collectorUrl: string,
    private readonly token: string,
  ) {
    this.url = `${collectorUrl.replace(/\/+$/, '')}/v1/telemetry`;
  }

  async send(lines: string[]): Promise<void> {
    let response;
    try {
      response = await request(this.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: `{"events":[${lines.join(',')}]}`,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (error) {
      throw new UnavailableError(`telemetry collector unreachable: ${(error as Error).message}`, error);
    }
    const text = await response.body.text();
    if (response.statusCode >= 200 && response.statusCode < 300) {
      const parsed = safeJson(text) as { errors?: { index?: number; field: string; reason: string }[] } | undefined;
      if (parsed?.errors?.length) reportInvalid(parsed.errors);
      return;
    }
    if (response.statusCode >= 400 && response.statusCode < 500 && response.statusCode !== 408 && response.statusCode !== 429 && response.statusCode !== 401 && response.statusCode !== 403) {
      logger.error('telemetry batch rejected by the collector; skipped', { status: response.statusCode, body: text.slice(0, 1000), events: lines.length });
      return;
    }
    throw new UnavailableError(`telemetry collector answered ${response.statusCode}`);
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
