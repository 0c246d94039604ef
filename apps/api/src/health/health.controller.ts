import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { STORES, Stores } from '@tollgate/storage';

@Controller()
export class HealthController {
  constructor(@Inject(STORES) private readonly stores: Stores) {}

  /** Liveness: the process answers. Never touches a store. */
  @Get('healthz')
  healthz() {
    return { status: 'ok', app: 'api' };
  }

  /** Readiness: every store reachable and every migration applied; 503 with the failing checks otherwise. */
  @Get('readyz')
  async readyz(@Res() res: Response) {
    const report = await this.stores.readiness();
    res.status(report.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({ app: 'api', ...report });
  }
}
