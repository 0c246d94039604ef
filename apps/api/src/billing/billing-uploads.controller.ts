import { rmSync } from 'node:fs';
import { Controller, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { CurrentPrincipal, Principal, RequireScope } from '@tollgate/auth';
import {
  BillingFileFormat,
  BillingSourcesService,
  BillingSyncService,
  EXAMPLE_RUN,
  checkUploadContentType,
  receiveUpload,
  syncRunViewSchema,
  uploadKind,
  uploadQuerySchema,
} from '@tollgate/billing';
import { APP_CONFIG, AppConfig, ConflictError, parseOrThrow } from '@tollgate/core';
import { ApiErrors } from '../openapi/zod-openapi';

const querySchema = z.toJSONSchema(uploadQuerySchema, { io: 'input' }) as { properties: Record<string, { description?: string }> };

/**
 * `POST /v1/billing/uploads?source=<id or name>&filename=<file>[&format=…][&period=YYYY-MM]` with the file as the raw
 * body. The upload is one sync of an `upload` source: it replaces the periods the file holds, or fails with the file
 * and line named and leaves the ledger as it was. Bodies stream to disk under BILLING_UPLOAD_MAX_BYTES.
 */
@ApiTags('billing')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@Controller('v1/billing/uploads')
export class BillingUploadsController {
  constructor(
    @Inject(BillingSourcesService) private readonly sources: BillingSourcesService,
    @Inject(BillingSyncService) private readonly sync: BillingSyncService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScope('write')
  @ApiOperation({
    summary: 'Upload a billing export file (FOCUS, AWS CUR, Azure cost details) into the ledger',
    description:
      'The body is the file itself (text/csv, application/gzip or application/vnd.apache.parquet). The periods it holds are replaced atomically; a bad line fails the upload with file and line named. An ambiguous Azure file needs `format`. Too large: 413.',
  })
  @ApiConsumes('text/csv', 'application/gzip', 'application/vnd.apache.parquet', 'application/octet-stream')
  @ApiQuery({ name: 'source', required: true, schema: { type: 'string' }, description: querySchema.properties.source.description, example: 'aws-invoices' })
  @ApiQuery({ name: 'filename', required: false, schema: { type: 'string' }, description: querySchema.properties.filename.description, example: 'focus-2025-05.csv' })
  @ApiQuery({ name: 'format', required: false, schema: z.toJSONSchema(uploadQuerySchema.shape.format.unwrap()) as object, description: querySchema.properties.format.description, example: 'azure-amortized' })
  @ApiQuery({ name: 'period', required: false, schema: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }, description: querySchema.properties.period.description, example: '2025-05' })
  @ApiBody({ description: 'The export file, as bytes', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 201, description: 'The sync run the upload became', schema: { ...(z.toJSONSchema(syncRunViewSchema) as object), example: EXAMPLE_RUN } })
  @ApiErrors(400)
  @ApiErrors(404)
  @ApiErrors(409)
  @ApiErrors(413)
  async upload(@Req() req: Request, @Query() query: Record<string, unknown>, @CurrentPrincipal() principal: Principal | undefined) {
    const input = parseOrThrow(uploadQuerySchema, { ...query, filename: query.filename ?? defaultName(req.headers['content-type']) });
    checkUploadContentType(req.headers['content-type'], input.filename);
    const source = await this.sources.uploadSource(input.source, input.format, principal?.name);
    if (source.kind !== 'upload') throw new ConflictError(`billing source '${source.name}' is a ${source.kind} source, not an upload source`);
    const path = this.sync.uploadPath(input.filename);
    try {
      await receiveUpload(req, path, { maxBytes: this.config.BILLING_UPLOAD_MAX_BYTES, declaredLength: req.headers['content-length'], kind: uploadKind(input.filename) });
      const format = (input.format ?? (source.settings as { format?: BillingFileFormat }).format) as BillingFileFormat | undefined;
      return await this.sync.run(source.id, { trigger: 'upload', period: input.period, files: [{ location: { kind: 'local', path }, name: input.filename, format }] });
    } finally {
      rmSync(path, { force: true });
    }
  }
}

function defaultName(contentType: string | undefined): string | undefined {
  if (contentType?.startsWith('text/csv')) return 'upload.csv';
  if (contentType?.startsWith('application/gzip')) return 'upload.csv.gz';
  if (contentType?.includes('parquet')) return 'upload.parquet';
  return undefined;
}
