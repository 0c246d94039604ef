import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { RateLimitedError } from '@tollgate/auth';
import { DomainError, Logger, ValidationError } from '@tollgate/core';

const STATUS: Record<DomainError['kind'], number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unavailable: 503,
  config: 500,
};

/**
 * The one place the API maps errors to HTTP: domain errors by kind, rate limits as 429 with Retry-After, Nest's own HTTP errors as they are
 * (body-parser's malformed JSON and oversized bodies included), anything else a 500 that is logged.
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (error instanceof RateLimitedError) {
      res.setHeader('Retry-After', String(error.retryAfterSeconds));
      res.status(429).json({ error: { type: 'rate_limited', message: error.message } });
      return;
    }
    if (error instanceof DomainError) {
      const status = STATUS[error.kind];
      if (status >= 500) this.logger.error('request failed', { error });
      res.status(status).json({
        error: { type: error.kind, message: error.message, ...(error instanceof ValidationError && error.problems.length ? { problems: error.problems } : {}) },
      });
      return;
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: string | string[] }).message ?? error.message);
      res.status(status).json({ error: { type: httpType(status), message: Array.isArray(message) ? message.join('; ') : message } });
      return;
    }
    const bodyParserError = error as { type?: string; status?: number; message?: string };
    if (typeof bodyParserError.status === 'number' && bodyParserError.status >= 400 && bodyParserError.status < 500) {
      res.status(bodyParserError.status).json({ error: { type: httpType(bodyParserError.status), message: bodyParserError.message ?? 'bad request' } });
      return;
    }
    this.logger.error('unhandled error', { error });
    res.status(500).json({ error: { type: 'internal', message: 'internal error' } });
  }
}

function httpType(status: number): string {
  if (status === 413) return 'too_large';
  if (status === 404) return 'not_found';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'rate_limited';
  if (status < 500) return 'validation';
  return 'internal';
}
