import type { Logger as ClickHouseLogger, ErrorLogParams, LogParams, WarnLogParams } from '@clickhouse/client';
import { Logger } from '@tollgate/core';

/**
 * `@clickhouse/client`'s log lines through Tollgate's structured logger (one JSON line each, LOG_LEVEL applies)
 * instead of its own console output. A failed request is logged by the client and also thrown to the caller, which
 * knows what the failure means (retried, spooled, answered as 503): the client's own error line is kept at debug.
 */
export class ClickHouseLogAdapter implements ClickHouseLogger {
  private readonly logger = new Logger('clickhouse-client');

  trace(params: LogParams): void {
    this.logger.debug(params.message, fieldsOf(params));
  }
  debug(params: LogParams): void {
    this.logger.debug(params.message, fieldsOf(params));
  }
  info(params: LogParams): void {
    this.logger.info(params.message, fieldsOf(params));
  }
  warn(params: WarnLogParams): void {
    this.logger.warn(params.message, { ...fieldsOf(params), error: params.err });
  }
  error(params: ErrorLogParams): void {
    this.logger.debug(params.message, { ...fieldsOf(params), error: params.err });
  }
}

function fieldsOf(params: LogParams): Record<string, unknown> {
  return { module: params.module, ...(params.args ?? {}) };
}
