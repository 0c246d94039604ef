import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PublicRoute } from '@tollgate/auth';
import { z } from 'zod';
import { zodResponse } from './zod-openapi';

const indexSchema = z.object({ name: z.string(), docs: z.string(), openapi: z.string(), healthz: z.string(), readyz: z.string() });
const INDEX: z.infer<typeof indexSchema> = { name: 'Tollgate api', docs: '/docs', openapi: '/openapi.json', healthz: '/healthz', readyz: '/readyz' };

/** `GET /`: where a newcomer who opens the api's URL finds the documentation. */
@ApiTags('health')
@Controller()
export class ApiIndexController {
  @Get()
  @PublicRoute()
  @ApiOperation({ summary: 'Links to the API documentation (/docs), the OpenAPI document and the health endpoints' })
  @ApiOkResponse(zodResponse(indexSchema, INDEX))
  index() {
    return INDEX;
  }
}
