import { z } from 'zod';
import { BILLING_FILE_FORMATS, BILLING_SOURCE_KINDS } from '@tollgate/billing';

/** Response shapes of the billing routes (BillingSourcesService's views as JSON) and their examples. */
const timestamp = z.iso.datetime({ offset: true });

export const sourceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  kind: z.enum(BILLING_SOURCE_KINDS),
  settings: z.record(z.string(), z.unknown()).describe("the kind's settings (docs/billing-sources.md), defaults applied"),
  hasCredentials: z.boolean().describe('credentials are stored encrypted and never returned'),
  schedule: z.string().nullable(),
  enabled: z.boolean(),
  cursor: z.record(z.string(), z.unknown()).nullable().describe('where the next incremental sync starts'),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const syncRunSchema = z.object({
  id: z.uuid(),
  sourceId: z.uuid(),
  status: z.enum(['running', 'succeeded', 'failed']),
  trigger: z.string().describe('upload, manual or schedule'),
  attempt: z.number().int(),
  periodStart: timestamp,
  periodEnd: timestamp,
  rows: z.number().int().nullable(),
  totals: z
    .array(z.record(z.string(), z.union([z.string(), z.number()])))
    .describe('per billing period and currency: rows, billedCost and effectiveCost (exact decimal strings); GPU sources report gpuHours and gpuCost'),
  inputs: z.array(z.string()).describe('the files or queries the run read'),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  durationMs: z.number().int().nullable(),
  error: z.string().nullable(),
  errorLine: z.number().int().nullable().describe('the input line a failed run stopped at, when it is a file'),
});

const SOURCE_ID = '2d4f6a8c-1b3e-4d5f-8a7c-9e0b1c2d3e4f';
const at = '2026-11-02T09:30:00.000Z';
export const sourceExample = {
  id: SOURCE_ID,
  name: 'aws-focus-export',
  kind: 's3-files',
  settings: { bucket: 'billing-exports', prefix: 'focus/', region: 'us-east-1', format: 'focus' },
  hasCredentials: true,
  schedule: '0 */6 * * *',
  enabled: true,
  cursor: null,
  createdAt: at,
  updatedAt: at,
} satisfies z.input<typeof sourceSchema>;

export const createSourceExample = {
  name: 'aws-focus-export',
  kind: 's3-files',
  settings: { bucket: 'billing-exports', prefix: 'focus/', format: 'focus' },
  credentials: { accessKeyId: 'AKIA...', secretAccessKey: '...' },
  schedule: '0 */6 * * *',
};

export const syncRunExample = {
  id: '7c9e1a3b-5d7f-4b2a-9c8e-0f1a2b3c4d5e',
  sourceId: SOURCE_ID,
  status: 'succeeded',
  trigger: 'upload',
  attempt: 1,
  periodStart: '2025-05-01T00:00:00.000Z',
  periodEnd: '2025-06-01T00:00:00.000Z',
  rows: 8,
  totals: [{ period: '2025-05-01', currency: 'USD', rows: 8, billedCost: '1234.567891', effectiveCost: '1180.250000' }],
  inputs: ['focus-1.2-ai-lines.csv'],
  startedAt: at,
  finishedAt: '2026-11-02T09:30:01.250Z',
  durationMs: 1250,
  error: null,
  errorLine: null,
} satisfies z.input<typeof syncRunSchema>;

/** The upload's query string, as BillingUploadsController checks it (with the formats billing reads). */
export const UPLOAD_QUERY_PARAMETERS = [
  { name: 'source', required: true, description: 'the NAME of an `upload` source; created on first use', schema: { type: 'string', minLength: 1 }, example: 'aws-focus' },
  {
    name: 'filename',
    required: false,
    description: 'the file name (.csv, .csv.gz or .parquet); required unless the content type implies it (text/csv, application/gzip, parquet)',
    schema: { type: 'string', pattern: '\\.(csv|csv\\.gz|parquet)$' },
    example: 'focus-2025-05.csv',
  },
  { name: 'format', required: false, description: "the file's format; without it, detected from its columns", schema: { type: 'string', enum: [...BILLING_FILE_FORMATS] }, example: 'focus' },
  { name: 'period', required: false, description: 'the billing month the file holds (replaces that month even if the file is empty)', schema: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }, example: '2025-05' },
];
