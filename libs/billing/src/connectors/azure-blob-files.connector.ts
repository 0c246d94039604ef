import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { UnavailableError, ValidationError, parseOrThrow } from '@tollgate/core';
import { sourceSettingsSchemas } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput, sameFingerprints } from './billing.connector';
import { BILLING_FILE, MANIFEST_MAX_BYTES, selectExportFiles } from './export-run.selector';

/**
 * Azure Cost Management exports (EA/MCA actual or amortized cost details, FOCUS 1.0/1.2) delivered to a storage
 * container: every blob under the prefix (List Blobs, all pages); each export run's `manifest.json` decides which
 * data blobs are current (`selectExportFiles`: the newest run per export and period), which are downloaded into the
 * run's scratch directory and read by ClickHouse like a local file. Incremental by ETag, like S3.
 */
export class AzureBlobFilesConnector implements BillingConnector {
  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const settings = parseOrThrow(sourceSettingsSchemas['azure-blob-files'].settings, ctx.settings, { prefix: 'settings' });
    const credentials = ctx.credentials && parseOrThrow(sourceSettingsSchemas['azure-blob-files'].credentials, ctx.credentials, { prefix: 'credentials' });
    if (!credentials?.connectionString) throw ValidationError.field('credentials.connectionString', 'required');
    const container = BlobServiceClient.fromConnectionString(credentials.connectionString).getContainerClient(settings.container);
    try {
      const blobs: { key: string; etag: string; modifiedAt: number; size: number }[] = [];
      for await (const page of container.listBlobsFlat({ prefix: settings.prefix || undefined }).byPage({ maxPageSize: 1000 })) {
        for (const blob of page.segment.blobItems) {
          if (BILLING_FILE.test(blob.name) || /manifest\.json$/i.test(blob.name)) {
            blobs.push({ key: blob.name, etag: blob.properties.etag ?? '', modifiedAt: blob.properties.lastModified?.getTime() ?? 0, size: blob.properties.contentLength ?? 0 });
          }
        }
      }
      blobs.sort((a, b) => a.key.localeCompare(b.key));
      const etags = Object.fromEntries(blobs.filter((b) => BILLING_FILE.test(b.key)).map((b) => [b.key, b.etag]));
      const previous = (ctx.source.sync_cursor as { etags?: Record<string, string> } | null)?.etags;
      const selected = await selectExportFiles(blobs, async (key) => {
        if ((blobs.find((b) => b.key === key)?.size ?? 0) > MANIFEST_MAX_BYTES) return '';
        const download = await container.getBlobClient(key).download();
        const chunks: Buffer[] = [];
        for await (const chunk of download.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Buffer));
        return Buffer.concat(chunks).toString('utf8');
      });
      const base = {
        periods: ctx.period ? [ctx.period] : undefined,
        skipOutsidePeriods: true,
        inputs: selected.map((b) => `${container.url}/${b.key}`),
        cursor: { etags },
      };
      if (!ctx.period && sameFingerprints(previous, etags)) return { ...base, files: [], unchanged: true };
      const files = [];
      for (const [i, blob] of selected.entries()) {
        const path = join(ctx.workDir, 'blob', `${i}-${blob.key.split('/').pop()}`);
        mkdirSync(dirname(path), { recursive: true });
        await container.getBlobClient(blob.key).downloadToFile(path);
        files.push({ location: { kind: 'local' as const, path }, name: `${settings.container}/${blob.key}`, format: settings.format, exportRun: blob.exportRun });
      }
      return { ...base, files };
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      const status = (error as { statusCode?: number }).statusCode;
      // Only the status: the storage service's own words stay out of errors.
      if (status === 403 || status === 404) throw ValidationError.field('settings.container', `${settings.container}: Azure storage answered HTTP ${status}`);
      throw new UnavailableError(`Azure storage ${settings.container}: ${status ? `HTTP ${status}` : (error as Error).message.split('\n')[0].slice(0, 200)}`, error);
    }
  }
}
