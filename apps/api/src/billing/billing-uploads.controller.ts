import { createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Controller, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { BILLING_FILE_FORMATS, BillingFileFormat, BillingSourcesService, BillingSyncService } from '@tollgate/billing';
import { ConflictError, ValidationError } from '@tollgate/core';
import { ApiErrors, ApiQueries, zodResponse } from '../openapi/zod-openapi';
import { UPLOAD_QUERY_PARAMETERS, syncRunExample, syncRunSchema } from '../openapi/billing.openapi';
import { RequireScope } from '@tollgate/auth';

const EXTENSION = /\.(csv|csv\.gz|parquet)$/i;

/**
 * `POST /v1/billing/uploads?source=<name>&filename=<file>[&format=focus][&period=YYYY-MM]` with the file as the raw
 * body (text/csv, application/gzip or application/octet-stream). The upload is one sync of an `upload` source
 * (created on first use): it replaces the periods the file holds, or fails with the file and line named and
 * leaves the ledger as it was.
 */
@ApiTags('billing')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@Controller('v1/billing/uploads')
@RequireScope('write')
export class BillingUploadsController {
  constructor(
    @Inject(BillingSourcesService) private readonly sources: BillingSourcesService,
    @Inject(BillingSyncService) private readonly sync: BillingSyncService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Upload a billing export (FOCUS, AWS CUR, Azure actual or amortized): one synchronous sync',
    description: 'The file is the raw body. It replaces the billing periods it holds in the ledger, or fails with the file and line named and leaves the ledger as it was. The answer is the sync run with its totals.',
  })
  @ApiConsumes('text/csv', 'application/gzip', 'application/octet-stream')
  @ApiQueries(UPLOAD_QUERY_PARAMETERS)
  @ApiBody({ description: 'the export file', schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse(zodResponse(syncRunSchema, syncRunExample, 'The sync run (rows and totals per period and currency)'))
  @ApiErrors(400, 409)
  async upload(@Req() req: Request, @Query() query: Record<string, string | undefined>) {
    const problems = [];
    if (!query.source) problems.push({ field: 'source', reason: 'required: the name of the upload source' });
    const filename = query.filename ?? defaultName(req.headers['content-type']);
    if (!filename || !EXTENSION.test(filename)) problems.push({ field: 'filename', reason: 'required: a .csv, .csv.gz or .parquet file name' });
    if (query.format !== undefined && !(BILLING_FILE_FORMATS as readonly string[]).includes(query.format)) {
      problems.push({ field: 'format', reason: `one of ${BILLING_FILE_FORMATS.join(', ')}` });
    }
    if (query.period !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(query.period)) problems.push({ field: 'period', reason: 'a month like 2025-05' });
    if (problems.length) throw ValidationError.of(problems);

    let source = await this.sources.findByName(query.source!);
    if (!source) {
      const created = await this.sources.create({ name: query.source, kind: 'upload', settings: query.format ? { format: query.format } : {} });
      source = await this.sources.get(created.id);
    } else if (source.kind !== 'upload') {
      throw new ConflictError(`billing source '${source.name}' is a ${source.kind} source, not an upload source`);
    }
    const path = this.sync.uploadPath(filename!);
    try {
      await pipeline(req, createWriteStream(path));
      const format = (query.format ?? (source.settings as { format?: BillingFileFormat }).format) as BillingFileFormat | undefined;
      return await this.sync.run(source.id, { trigger: 'upload', period: query.period, files: [{ location: { kind: 'local', path }, name: filename!, format }] });
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
