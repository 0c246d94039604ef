import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { UnavailableError, ValidationError, parseOrThrow } from '@tollgate/core';
import { sourceSettingsSchemas } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput, sameFingerprints } from './billing.connector';
import { BILLING_FILE, MANIFEST_MAX_BYTES, selectExportFiles } from './export-run.selector';

/**
 * AWS Data Exports (CUR 2.0, FOCUS, legacy CUR) delivered to S3: every object under the prefix (ListObjectsV2, all
 * pages); the manifests decide which data files are current (`selectExportFiles`), which are fetched with GetObject
 * into the run's scratch directory and read by ClickHouse like a local file. Incremental by ETag: when no object
 * changed since the cursor, the sync does nothing.
 */
export class S3FilesConnector implements BillingConnector {
  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const settings = parseOrThrow(sourceSettingsSchemas['s3-files'].settings, ctx.settings, { prefix: 'settings' });
    const credentials = ctx.credentials && parseOrThrow(sourceSettingsSchemas['s3-files'].credentials, ctx.credentials, { prefix: 'credentials' });
    const client = new S3Client({ region: settings.region, endpoint: settings.endpoint, forcePathStyle: settings.forcePathStyle, credentials, maxAttempts: 5 });
    try {
      const objects: { key: string; etag: string; modifiedAt: number; size: number }[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: settings.prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          if (o.Key) objects.push({ key: o.Key, etag: o.ETag ?? String(o.LastModified?.getTime()), modifiedAt: o.LastModified?.getTime() ?? 0, size: o.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      objects.sort((a, b) => a.key.localeCompare(b.key));
      const relevant = objects.filter((o) => BILLING_FILE.test(o.key) || /manifest\.json$/i.test(o.key));
      const etags = Object.fromEntries(relevant.map((o) => [o.key, o.etag]));
      const previous = (ctx.source.sync_cursor as { etags?: Record<string, string> } | null)?.etags;
      const selected = await selectExportFiles(relevant, async (key) => {
        if ((objects.find((o) => o.key === key)?.size ?? 0) > MANIFEST_MAX_BYTES) return '';
        const object = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }));
        return (await object.Body?.transformToString('utf8')) ?? '';
      });
      const base = { periods: ctx.period ? [ctx.period] : undefined, skipOutsidePeriods: true, inputs: selected.map((o) => `s3://${settings.bucket}/${o.key}`), cursor: { etags } };
      if (!ctx.period && sameFingerprints(previous, etags)) return { ...base, files: [], unchanged: true };
      const files = [];
      for (const [i, o] of selected.entries()) {
        const path = join(ctx.workDir, 's3', `${i}-${o.key.split('/').pop()}`);
        mkdirSync(dirname(path), { recursive: true });
        const object = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: o.key }));
        await pipeline(object.Body as Readable, createWriteStream(path));
        files.push({ location: { kind: 'local' as const, path }, name: `s3://${settings.bucket}/${o.key}`, format: settings.format, exportRun: o.exportRun });
      }
      return { ...base, files };
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchBucket' || name === 'AccessDenied' || name === 'InvalidAccessKeyId') throw error;
      throw new UnavailableError(`S3 ${settings.bucket}/${settings.prefix}: ${(error as Error).message.split('\n')[0].slice(0, 200)}`, error);
    } finally {
      client.destroy();
    }
  }
}
