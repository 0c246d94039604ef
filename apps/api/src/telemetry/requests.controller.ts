import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, Principal, RequireScope } from '@tollgate/auth';
import {
  REQUEST_LIST_PARAMETERS,
  REQUEST_RECORD_EXAMPLE,
  RequestLookupService,
  parseRequestId,
  parseRequestListQuery,
  parseWaitMs,
  requestListSchema,
  requestRecordSchema,
  requestsToCsv,
} from '@tollgate/telemetry';
import { ApiErrors, ApiQueries, zodResponse } from '../openapi/zod-openapi';

/** The list's query parameters, documented from the same table the parser checks names against. */
const REQUEST_LIST_QUERY = REQUEST_LIST_PARAMETERS.map((p) => ({ name: p.name, required: false, description: p.description, ...(p.example ? { example: p.example } : {}) }));

/**
 * GET /v1/requests/:id — one request as stored (latest version); GET /v1/requests — pages of them, newest first,
 * JSON or CSV (`Accept: text/csv`). Scope `read`; a caller limited to teams sees only their requests (another
 * team's is a 404, as an unknown one).
 */
@ApiTags('requests')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@RequireScope('read')
@Controller('v1/requests')
export class RequestsController {
  constructor(@Inject(RequestLookupService) private readonly requests: RequestLookupService) {}

  @Get()
  @ApiOperation({
    summary: 'List requests, newest first',
    description: 'Keyset-paginated: pass `next_cursor` as `cursor` for the next page (also in the `x-tollgate-next-cursor` header, for CSV). Filters take repeated parameters or comma lists.',
  })
  @ApiQueries(REQUEST_LIST_QUERY)
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse(zodResponse(requestListSchema, { from: '2026-11-20T00:00:00.000Z', to: '2026-11-21T00:00:00.000Z', rows: [REQUEST_RECORD_EXAMPLE], next_cursor: null }))
  @ApiErrors(400, 503)
  async list(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() principal: Principal | undefined): Promise<void> {
    const query = parseRequestListQuery(req.query as Record<string, unknown>);
    const page = await this.requests.list(query, principal?.teams ?? null);
    if (page.next_cursor) res.setHeader('x-tollgate-next-cursor', page.next_cursor);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.status(200).type('text/csv; charset=utf-8').send(requestsToCsv(page.rows));
      return;
    }
    res.status(200).json(page);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One request by the id the proxy returned (x-tollgate-request-id)',
    description:
      'The latest stored version: attribution, tokens by class, estimated cost and price_ref, attempts, tags. A request the proxy has just served ' +
      'lands within a second or two (telemetry is delivered in batches); pass `wait_ms` to wait for it instead of getting a 404.',
  })
  @ApiParam({ name: 'id', description: 'the request id, 1–128 characters', example: REQUEST_RECORD_EXAMPLE.request_id })
  @ApiQuery({ name: 'wait_ms', required: false, description: 'wait up to this long (0–10000 ms, default 0) for a request not stored yet', example: '3000' })
  @ApiOkResponse(zodResponse(requestRecordSchema, REQUEST_RECORD_EXAMPLE))
  @ApiErrors(400, 404, 503)
  async get(@Param('id') id: string, @Query('wait_ms') waitMs: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.requests.get(parseRequestId(id), { teams: principal?.teams ?? null, waitMs: parseWaitMs(waitMs) });
  }
}
