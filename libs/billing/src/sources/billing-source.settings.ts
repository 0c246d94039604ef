import { z } from 'zod';
import { ValidationError, parseOrThrow } from '@tollgate/core';
import { BILLING_FILE_FORMATS } from '../files/billing-file.formats';
import { FileNameGlob } from '../files/file-name.glob';
import { BIGQUERY_TABLE_HINT, isBigQueryTable } from '../connectors/bigquery-table.identifier';

/** A local-files pattern: a glob (FileNameGlob), refused with its syntax explained when it is not one (an old regex). */
const glob = z
  .string()
  .max(200)
  .superRefine((value, ctx) => {
    try {
      FileNameGlob.parseSetting(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as ValidationError).problems[0]?.reason ?? (error as Error).message });
    }
  });

/** Billing source kinds and, per kind, the settings and credentials the api accepts. */
export const BILLING_SOURCE_KINDS = ['upload', 'local-files', 's3-files', 'azure-blob-files', 'aws-cost-explorer', 'azure-cost-query', 'gcp-bigquery', 'opencost'] as const;
export type BillingSourceKind = (typeof BILLING_SOURCE_KINDS)[number];

const format = z.enum(BILLING_FILE_FORMATS).optional();
/** An AWS region name (`us-east-1`, `cn-north-1`): it becomes part of a host name, so nothing else is accepted. */
const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region like us-east-1').default('us-east-1');
const awsCredentials = z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().optional() });

export const sourceSettingsSchemas = {
  upload: { settings: z.object({ format }).strict(), credentials: z.undefined() },
  'local-files': {
    settings: z.object({ path: z.string().min(1), format, pattern: glob.optional() }).strict(),
    credentials: z.undefined(),
  },
  's3-files': {
    settings: z
      .object({
        bucket: z.string().min(1),
        prefix: z.string().default(''),
        region: awsRegion,
        endpoint: z.string().url().optional(),
        forcePathStyle: z.boolean().optional(),
        format,
      })
      .strict(),
    credentials: awsCredentials,
  },
  'azure-blob-files': {
    settings: z.object({ container: z.string().min(1), prefix: z.string().default(''), format }).strict(),
    credentials: z.object({ connectionString: z.string().min(1) }).strict(),
  },
  'aws-cost-explorer': {
    settings: z
      .object({
        region: awsRegion,
        endpoint: z.string().url().optional(),
        granularity: z.enum(['DAILY', 'HOURLY']).default('DAILY'),
        // Cost Explorer takes at most two group-bys per query; the ledger's grain is what they are.
        groupBy: z
          .array(z.object({ type: z.enum(['DIMENSION', 'TAG', 'COST_CATEGORY']), key: z.string().min(1) }))
          .max(2)
          .default([{ type: 'DIMENSION', key: 'SERVICE' }, { type: 'DIMENSION', key: 'LINKED_ACCOUNT' }]),
        /** EffectiveCost: AmortizedCost, or NetAmortizedCost (after discounts). BilledCost is always UnblendedCost. */
        effectiveCost: z.enum(['AmortizedCost', 'NetAmortizedCost']).default('NetAmortizedCost'),
        /** Months before the cursor re-read on every sync: AWS restates recent bills for weeks. */
        restatementMonths: z.number().int().min(0).max(12).default(1),
        payerAccountId: z.string().default(''),
      })
      .strict(),
    credentials: awsCredentials,
  },
  'azure-cost-query': {
    settings: z
      .object({
        /** e.g. `subscriptions/<id>` or `providers/Microsoft.Billing/billingAccounts/<id>`. */
        scope: z.string().min(1),
        endpoint: z.string().url().default('https://management.azure.com'),
        authorityHost: z.string().url().default('https://login.microsoftonline.com'),
        apiVersion: z.string().default('2023-11-01'),
        type: z.enum(['ActualCost', 'AmortizedCost']).default('ActualCost'),
        grouping: z
          .array(z.object({ type: z.enum(['Dimension', 'TagKey']), name: z.string().min(1) }))
          .max(2)
          .default([{ type: 'Dimension', name: 'ServiceName' }, { type: 'Dimension', name: 'SubscriptionId' }]),
        restatementMonths: z.number().int().min(0).max(12).default(1),
      })
      .strict(),
    credentials: z.object({ tenantId: z.string().min(1), clientId: z.string().min(1), clientSecret: z.string().min(1) }),
  },
  'gcp-bigquery': {
    settings: z
      .object({
        projectId: z.string().min(1),
        table: z.string().refine(isBigQueryTable, BIGQUERY_TABLE_HINT),
        detailed: z.boolean().default(false),
        focusView: z.boolean().default(false),
        location: z.string().optional(),
        apiEndpoint: z.string().url().optional(),
        restatementMonths: z.number().int().min(0).max(12).default(1),
      })
      .strict(),
    credentials: z.union([z.object({ serviceAccount: z.record(z.string(), z.unknown()) }).strict(), z.object({ accessToken: z.string().min(1) }).strict()]),
  },
  opencost: {
    settings: z
      .object({
        endpoint: z.string().url(),
        /** namespace, pod, controller, cluster, or label:<name> (OpenCost's aggregate parameter). */
        aggregate: z.string().regex(/^(namespace|pod|controller|cluster|node|label:[A-Za-z0-9_./-]+)(,(namespace|pod|controller|cluster|node|label:[A-Za-z0-9_./-]+))*$/).default('namespace'),
        step: z.string().regex(/^\d+[mhd]$/).default('1d'),
        currency: z.string().regex(/^[A-Z]{3}$/).default('USD'),
        cluster: z.string().optional(),
        restatementMonths: z.number().int().min(0).max(12).default(0),
      })
      .strict(),
    credentials: z.undefined(),
  },
} as const;

/** A five-field cron pattern (BullMQ job scheduler), or every N minutes as `@every <n>m`. */
const schedule = z
  .string()
  .regex(/^(@every \d+m|(\S+\s+){4}\S+)$/, 'a cron pattern like "0 */6 * * *" or "@every 30m"')
  .nullable()
  .optional();

export const createSourceSchema = z
  .object({
    name: z.string().min(1).max(200),
    kind: z.enum(BILLING_SOURCE_KINDS),
    settings: z.record(z.string(), z.unknown()).default({}),
    credentials: z.record(z.string(), z.unknown()).optional(),
    schedule,
    enabled: z.boolean().default(true),
  })
  .strict();

export const updateSourceSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    credentials: z.record(z.string(), z.unknown()).optional(),
    schedule,
    enabled: z.boolean().optional(),
  })
  .strict();

export const syncRequestSchema = z
  .object({ period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month like 2025-05').optional() })
  .strict();

export function parseSourceSettings(kind: BillingSourceKind, settings: unknown): Record<string, unknown> {
  return parseOrThrow(sourceSettingsSchemas[kind].settings, settings, { prefix: 'settings' }) as Record<string, unknown>;
}

export function parseSourceCredentials(kind: BillingSourceKind, credentials: unknown): Record<string, unknown> | undefined {
  const schema = sourceSettingsSchemas[kind].credentials;
  if (schema instanceof z.ZodUndefined) {
    if (credentials !== undefined) throw ValidationError.field('credentials', `a ${kind} source takes no credentials`);
    return undefined;
  }
  if (credentials === undefined) return undefined;
  return parseOrThrow(schema, credentials, { prefix: 'credentials' }) as Record<string, unknown>;
}

/** The settings of a source of kind K as its schema outputs them (connectors parse stored settings, never cast). */
export type SourceSettings<K extends BillingSourceKind> = z.output<(typeof sourceSettingsSchemas)[K]['settings']>;
