import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { STORES, Stores } from '@tollgate/storage';

@Controller()
export class WorkerHealthController {
  constructor(@Inject(STORES) private readonly stores: Stores) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok', app: 'worker' };
  }

  @Get('readyz')
  async readyz(@Res() res: Response) {
    const report = await this.stores.readiness();
    res.status(report.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({ app: 'worker', ...report });
  }
}
