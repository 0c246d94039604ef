import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, Principal, RequireScope } from '@tollgate/auth';
import { LEDGER_COSTS_EXAMPLE, LEDGER_COSTS_PARAMETERS, LedgerCostsService, ledgerCostsSchema, ledgerCostsToCsv, parseLedgerCostsQuery } from '@tollgate/billing';
import { ApiErrors, ApiQueries, zodResponse } from '../openapi/zod-openapi';

/** The query parameters, documented from the same table the parser checks names against. */
const LEDGER_COSTS_QUERY = LEDGER_COSTS_PARAMETERS.map((p) => ({ name: p.name, required: p.required, description: p.description, ...(p.example ? { example: p.example } : {}) }));

/**
 * GET /v1/billing/costs — the billing ledger read back: billed, effective and list cost per time bucket, group and
 * currency, JSON or CSV (`Accept: text/csv`). Scope `read`; refused (403) to a principal limited to teams, since the
 * ledger has no sound per-team split (libs/billing/README.md).
 */
@ApiTags('billing')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@RequireScope('read')
@Controller('v1/billing/costs')
export class BillingCostsController {
  constructor(@Inject(LedgerCostsService) private readonly costs: LedgerCostsService) {}

  @Get()
  @ApiOperation({
    summary: 'Billed, effective and list cost from the billing ledger, grouped',
    description:
      'Sums per currency (never across currencies), as decimal strings at 12 places. grain=billing_period (default) buckets by invoice month, ' +
      'the figure an invoice is checked against; month and day bucket by charge period. A re-synced period replaces the old one, so it never counts twice.',
  })
  @ApiQueries(LEDGER_COSTS_QUERY)
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse(zodResponse(ledgerCostsSchema, LEDGER_COSTS_EXAMPLE))
  @ApiErrors(400, 503)
  async get(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() principal: Principal | undefined): Promise<void> {
    const query = parseLedgerCostsQuery(req.query as Record<string, unknown>);
    const costs = await this.costs.query(query, principal?.teams ?? null);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.status(200).type('text/csv; charset=utf-8').send(ledgerCostsToCsv(costs));
      return;
    }
    res.status(200).json(costs);
  }
}
