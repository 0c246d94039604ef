import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuditLogService } from '@tollgate/audit';
import { RequireScope } from '@tollgate/auth';
import { parseOrThrow } from '@tollgate/core';
import { openApiSchema } from '../http/openapi-schema';
import { auditPageSchema, auditQuerySchema } from './access-api.schemas';

const EXAMPLE_PAGE = {
  entries: [
    {
      id: '42',
      at: '2026-12-01T09:30:00.000Z',
      actor: 'dana@example.com',
      action: 'price_override.created',
      entity: 'price_override',
      entity_id: '7d6c5b4a-3f2e-4d1c-8b9a-0f1e2d3c4b5a',
      details: { after: { provider: 'openai', model: 'gpt-4o-mini', kind: 'discount' } },
    },
  ],
  next_cursor: '42',
};

/** `GET /v1/audit`: who changed which configuration when, with before and after. Admin only. */
@ApiTags('audit')
@RequireScope('admin')
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(AuditLogService) private readonly audit: AuditLogService) {}

  @Get()
  @ApiOperation({ summary: 'Audit log entries, newest first; pass next_cursor as cursor for the next page' })
  @ApiQuery({ name: 'entity', required: false, description: 'entity kinds, comma-separated (price_override, provider, api_token, user, …)' })
  @ApiQuery({ name: 'entity_id', required: false })
  @ApiQuery({ name: 'actor', required: false, description: 'a user email or token:<name>' })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601, exclusive' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } })
  @ApiOkResponse({ schema: openApiSchema(auditPageSchema), example: EXAMPLE_PAGE })
  async list(@Query() query: Record<string, string>) {
    const q = parseOrThrow(auditQuerySchema, query, { whole: 'query' });
    return this.audit.page(
      {
        entities: q.entity?.split(',').map((e) => e.trim()).filter(Boolean),
        entityId: q.entity_id,
        actor: q.actor,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        cursor: q.cursor,
      },
      q.limit,
    );
  }
}
