import { Controller, Get, HttpStatus, Inject, Res, Type } from '@nestjs/common';
import type { Response } from 'express';
import { STORES, Stores } from '@tollgate/storage';

/**
 * `/healthz` (alive: the process answers, no store touched) and `/readyz` (every store reachable and every
 * migration applied; 503 with the failing checks otherwise) for a Nest app named `app`.
 */
export function healthController(app: string): Type<unknown> {
  @Controller()
  class HealthController {
    constructor(@Inject(STORES) readonly stores: Stores) {}

    @Get('healthz')
    healthz() {
      return { status: 'ok', app };
    }

    @Get('readyz')
    async readyz(@Res() res: Response) {
      const report = await this.stores.readiness();
      res.status(report.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({ app, ...report });
    }
  }
  return HealthController;
}
