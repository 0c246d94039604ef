import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, RequireScope, type Principal } from '@tollgate/auth';
import { limitUsageQueryToTeams, parseUsageQuery, UsageQueryService, usageToCsv } from '@tollgate/telemetry';
import { ApiErrors, ApiQueries, jsonSchemaOf } from '../openapi/zod-openapi';
import { USAGE_CSV_EXAMPLE, USAGE_QUERY_PARAMETERS, usageAnswerExample, usageAnswerSchema } from '../openapi/telemetry.openapi';

/**
 * GET /v1/usage — requests, tokens by class, estimated cost, latency p50/p95 and error rate per bucket and group.
 * JSON by default, CSV with `Accept: text/csv`. `x-tollgate-source: rollup|raw` says what answered. A caller limited
 * to some teams sees only their rows (the answer's `filters.team` says which); asking for another team is a 403.
 */
@ApiTags('usage')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@Controller('v1/usage')
@RequireScope('read')
export class UsageController {
  constructor(@Inject(UsageQueryService) private readonly usage: UsageQueryService) {}

  @Get()
  @ApiOperation({
    summary: 'Requests, tokens, cost, latency and errors per time bucket and group',
    description: 'From what the proxy recorded (estimated cost). JSON by default; CSV with `Accept: text/csv`. The answer header `x-tollgate-source` says whether a rollup (`rollup`) or the raw requests (`raw`) answered.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiQueries(USAGE_QUERY_PARAMETERS)
  @ApiOkResponse({
    description: 'The usage rows',
    content: {
      'application/json': { schema: jsonSchemaOf(usageAnswerSchema), example: usageAnswerExample },
      'text/csv': { schema: { type: 'string' }, example: USAGE_CSV_EXAMPLE },
    },
  })
  @ApiErrors(400, 503)
  async get(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() principal: Principal | undefined): Promise<void> {
    const query = limitUsageQueryToTeams(parseUsageQuery(req.query as Record<string, unknown>), principal?.teams ?? null);
    const result = await this.usage.query(query);
    res.setHeader('x-tollgate-source', result.source);
    res.setHeader('x-tollgate-table', result.table);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.status(200).type('text/csv; charset=utf-8').send(usageToCsv(query, result.rows));
      return;
    }
    res.status(200).json({
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      grain: query.grain,
      group_by: query.groupBy,
      filters: query.filters,
      source: result.source,
      rows: result.rows,
    });
  }
}
