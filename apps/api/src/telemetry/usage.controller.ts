import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentPrincipal, type Principal } from '@tollgate/auth';
import { limitUsageQueryToTeams, parseUsageQuery, UsageQueryService, usageToCsv } from '@tollgate/telemetry';

/**
 * GET /v1/usage — requests, tokens by class, estimated cost, latency p50/p95 and error rate per bucket and group.
 * JSON by default, CSV with `Accept: text/csv`. `x-tollgate-source: rollup|raw` says what answered. A caller limited
 * to some teams sees only their rows (the answer's `filters.team` says which); asking for another team is a 403.
 */
@Controller('v1/usage')
export class UsageController {
  constructor(@Inject(UsageQueryService) private readonly usage: UsageQueryService) {}

  @Get()
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
