import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { UnavailableError, parseOrThrow } from '@tollgate/core';
import { sourceSettingsSchemas } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput } from './billing.connector';

const BILLING_FILE = /\.(csv|csv\.gz|parquet)$/i;

/**
 * AWS Data Exports (CUR 2.0, FOCUS, legacy CUR) delivered to S3: every data file under the prefix (ListObjectsV2,
 * all pages), fetched with GetObject into the run's scratch directory, then read by ClickHouse like a local file.
 * Incremental by ETag: when no object changed since the cursor, the sync does nothing.
 */
export class S3FilesConnector implements BillingConnector {
  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const settings = parseOrThrow(sourceSettingsSchemas['s3-files'].settings, ctx.settings, { prefix: 'settings' });
    const credentials = ctx.credentials && parseOrThrow(sourceSettingsSchemas['s3-files'].credentials, ctx.credentials, { prefix: 'credentials' });
    const client = new S3Client({ region: settings.region, endpoint: settings.endpoint, forcePathStyle: settings.forcePathStyle, credentials, maxAttempts: 5 });
    try {
      const objects: { key: string; etag: string }[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: settings.prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key && BILLING_FILE.test(o.Key)) objects.push({ key: o.Key, etag: o.ETag ?? String(o.LastModified?.getTime()) });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      objects.sort((a, b) => a.key.localeCompare(b.key));
      const etags = Object.fromEntries(objects.map((o) => [o.key, o.etag]));
      const previous = (ctx.source.sync_cursor as { etags?: Record<string, string> } | null)?.etags;
      const base = { periods: ctx.period ? [ctx.period] : undefined, skipOutsidePeriods: true, inputs: objects.map((o) => `s3://${settings.bucket}/${o.key}`), cursor: { etags } };
      if (!ctx.period && previous && JSON.stringify(previous) === JSON.stringify(etags)) return { ...base, files: [], unchanged: true };
      const files = [];
      for (const [i, o] of objects.entries()) {
        const path = join(ctx.workDir, 's3', `${i}-${o.key.split('/').pop()}`);
        mkdirSync(dirname(path), { recursive: true });
        const object = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: o.key }));
        await pipeline(object.Body as Readable, createWriteStream(path));
        files.push({ location: { kind: 'local' as const, path }, name: `s3://${settings.bucket}/${o.key}`, format: settings.format });
      }
      return { ...base, files };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchBucket' || name === 'AccessDenied' || name === 'InvalidAccessKeyId') throw error;
      throw new UnavailableError(`S3 ${settings.bucket}/${settings.prefix}: ${(error as Error).message}`, error);
    } finally {
      client.destroy();
    }
  }
}
