import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequireScope } from '@tollgate/auth';
import { TelemetryIngestService } from '@tollgate/telemetry';
import { ApiErrors, zodBody, zodResponse } from '../openapi/zod-openapi';
import { collectorResultExample, collectorResultSchema, telemetryBatchSchema, telemetryEventExample } from '../openapi/telemetry.openapi';
import { readTelemetryBody } from './telemetry-body.reader';

/**
 * POST /v1/telemetry — the collector. 200 `{accepted, rejected, duplicates, errors, warnings}` when at least one
 * event landed (the rest carry `{index, field, reason}` errors), 400 with the same body when none did, 401 without a
 * valid collector token, 413 over the size limit, 503 when the events could not be stored (re-send: idempotent).
 */
@ApiTags('telemetry')
@ApiBearerAuth('bearer')
@Controller('v1/telemetry')
@RequireScope('collector')
export class TelemetryCollectorController {
  constructor(@Inject(TelemetryIngestService) private readonly ingest: TelemetryIngestService) {}

  /** The access guard has checked the collector token (an issued one, or TOLLGATE_COLLECTOR_TOKEN). */
  @Post()
  @ApiOperation({
    summary: 'Collect telemetry events (from a separate proxy or your own gateway)',
    description:
      'Needs a collector token (TOLLGATE_COLLECTOR_TOKEN, or the one embedded mode writes to `<data dir>/collector-token`). ' +
      'A JSON array, or NDJSON (`application/x-ndjson`, optionally `content-encoding: gzip`); up to 10 MB decoded. ' +
      'Each event is validated on its own; the field reference is docs/telemetry-event.md.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody(zodBody(telemetryBatchSchema, [telemetryEventExample]))
  @ApiOkResponse(zodResponse(collectorResultSchema, collectorResultExample, 'At least one event was accepted (the others have errors)'))
  @ApiResponse({
    status: 400,
    ...zodResponse(
      collectorResultSchema,
      { accepted: 0, rejected: 1, duplicates: 0, errors: [{ index: 0, field: 'model', reason: 'Invalid input: expected string, received undefined' }], warnings: [], error: { type: 'validation', message: 'no event was valid' } },
      'No event was valid',
    ),
  })
  @ApiErrors(401, 413, 415, 503)
  async collect(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = await readTelemetryBody(req);
    const result = await this.ingest.ingest(body.items);
    const errors = [...body.errors, ...result.errors].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    // Lines that were not JSON were also rejected by validation; count each index once.
    const rejected = new Set(errors.map((e) => e.index)).size;
    const payload = { accepted: result.accepted, rejected, duplicates: result.duplicates, errors, warnings: result.warnings };
    res.status(result.accepted > 0 ? 200 : 400).json(
      result.accepted > 0 ? payload : { ...payload, error: { type: 'validation', message: body.items.length ? 'no event was valid' : 'no events in the body' } },
    );
  }
}
