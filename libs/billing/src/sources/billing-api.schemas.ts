import { z } from 'zod';
import { BILLING_FILE_FORMATS } from '../files/billing-file.formats';
import { UPLOAD_EXTENSION } from '../files/billing-upload.receiver';
import { BILLING_SOURCE_KINDS } from './billing-source.settings';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * `POST /v1/billing/uploads` query: validated with this schema, and documented from it (OpenAPI). `filename` falls
 * back to the content type's (`upload.csv`, `upload.csv.gz`, `upload.parquet`) before validation.
 */
export const uploadQuerySchema = z.object({
  source: z
    .string({ error: 'required: the id or name of the upload source' })
    .min(1, 'required: the id or name of the upload source')
    .max(200)
    .describe('An upload source: its id (an unknown id is a 404) or its name (created as an `upload` source on first use).'),
  filename: z
    .string({ error: 'required: a .csv, .csv.gz or .parquet file name' })
    .max(255)
    .refine((f) => !f.includes('\0'), 'must not contain a NUL byte')
    .refine((f) => UPLOAD_EXTENSION.test(f), 'required: a .csv, .csv.gz or .parquet file name')
    .describe('The file name, recorded with every line and named in errors; its extension decides how the body is read.'),
  format: z
    .enum(BILLING_FILE_FORMATS, { error: `one of ${BILLING_FILE_FORMATS.join(', ')}` })
    .optional()
    .describe(
      'Layout of the file. Detected from the header when omitted, except Azure EA/MCA cost details: actual and amortized have the same columns, so such a file needs `azure-actual` or `azure-amortized` (400 otherwise).',
    ),
  period: z
    .string()
    .regex(MONTH, 'a month like 2025-05')
    .optional()
    .describe('Restate exactly this month: lines of other months fail the upload. Omitted: the months the file holds are replaced.'),
});
export type UploadQuery = z.infer<typeof uploadQuerySchema>;

const totalSchema = z.object({ period: z.string(), currency: z.string(), rows: z.number(), billedCost: z.string().optional(), effectiveCost: z.string().optional() }).passthrough();

/** A sync run as the api shows it (documentation of `runView`). */
export const syncRunViewSchema = z.object({
  id: z.string(),
  sourceId: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  trigger: z.string(),
  attempt: z.number(),
  periodStart: z.string(),
  periodEnd: z.string(),
  rows: z.number(),
  totals: z.array(totalSchema),
  inputs: z.array(z.string()),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
  errorLine: z.number().nullable(),
  format: z.string().nullable().describe('The layout(s) the files were read as (told or detected), comma-separated.'),
});

/** A source as the api shows it (documentation of `sourceView`): credentials never, only whether they are set. */
export const billingSourceViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(BILLING_SOURCE_KINDS),
  settings: z.record(z.string(), z.unknown()),
  hasCredentials: z.boolean(),
  schedule: z.string().nullable(),
  enabled: z.boolean(),
  cursor: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** What `DELETE /v1/billing/sources/:id` removed. */
export const sourceRemovalSchema = z.object({
  id: z.string(),
  name: z.string(),
  deleted: z.object({ ledgerLines: z.number().int(), gpuAllocations: z.number().int(), syncRuns: z.number().int() }),
});

export const EXAMPLE_RUN: z.infer<typeof syncRunViewSchema> = {
  id: '5f0c6d1e-8a34-4c9b-9d0e-2b7f1c3a4e55',
  sourceId: '0b8f3c2a-1d4e-4f6a-9b7c-8d9e0f1a2b3c',
  status: 'succeeded',
  trigger: 'upload',
  attempt: 1,
  periodStart: '2025-05-01T00:00:00.000Z',
  periodEnd: '2025-06-01T00:00:00.000Z',
  rows: 7,
  totals: [{ period: '2025-05-01', currency: 'USD', rows: 7, billedCost: '1234.56', effectiveCost: '1200.10' }],
  inputs: ['focus-2025-05.csv'],
  startedAt: '2025-06-02T08:00:00.000Z',
  finishedAt: '2025-06-02T08:00:01.250Z',
  durationMs: 1250,
  error: null,
  errorLine: null,
  format: 'focus',
};

export const EXAMPLE_SOURCE: z.infer<typeof billingSourceViewSchema> = {
  id: '0b8f3c2a-1d4e-4f6a-9b7c-8d9e0f1a2b3c',
  name: 'aws-data-exports',
  kind: 's3-files',
  settings: { bucket: 'billing-exports', prefix: 'cur/', region: 'us-east-1', format: 'aws-cur' },
  hasCredentials: true,
  schedule: '0 */6 * * *',
  enabled: true,
  cursor: null,
  createdAt: '2025-06-01T08:00:00.000Z',
  updatedAt: '2025-06-01T08:00:00.000Z',
};

export const EXAMPLE_REMOVAL: z.infer<typeof sourceRemovalSchema> = {
  id: '0b8f3c2a-1d4e-4f6a-9b7c-8d9e0f1a2b3c',
  name: 'aws-data-exports',
  deleted: { ledgerLines: 1281, gpuAllocations: 0, syncRuns: 4 },
};
