import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { UnavailableError, ValidationError, parseOrThrow } from '@tollgate/core';
import { sourceSettingsSchemas } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput } from './billing.connector';

const BILLING_FILE = /\.(csv|csv\.gz|parquet)$/i;

/**
 * Azure Cost Management exports (EA/MCA actual or amortized cost details, FOCUS 1.0/1.2) delivered to a storage
 * container: every data file under the prefix (List Blobs, all pages), downloaded into the run's scratch directory and
 * read by ClickHouse like a local file. Incremental by ETag, like S3.
 */
export class AzureBlobFilesConnector implements BillingConnector {
  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const settings = parseOrThrow(sourceSettingsSchemas['azure-blob-files'].settings, ctx.settings, { prefix: 'settings' });
    const credentials = ctx.credentials && parseOrThrow(sourceSettingsSchemas['azure-blob-files'].credentials, ctx.credentials, { prefix: 'credentials' });
    if (!credentials?.connectionString) throw ValidationError.field('credentials.connectionString', 'required');
    const container = BlobServiceClient.fromConnectionString(credentials.connectionString).getContainerClient(settings.container);
    try {
      const blobs: { name: string; etag: string }[] = [];
      for await (const page of container.listBlobsFlat({ prefix: settings.prefix || undefined }).byPage({ maxPageSize: 1000 })) {
        for (const blob of page.segment.blobItems) if (BILLING_FILE.test(blob.name)) blobs.push({ name: blob.name, etag: blob.properties.etag ?? '' });
      }
      blobs.sort((a, b) => a.name.localeCompare(b.name));
      const etags = Object.fromEntries(blobs.map((b) => [b.name, b.etag]));
      const previous = (ctx.source.sync_cursor as { etags?: Record<string, string> } | null)?.etags;
      const base = {
        periods: ctx.period ? [ctx.period] : undefined,
        skipOutsidePeriods: true,
        inputs: blobs.map((b) => `${container.url}/${b.name}`),
        cursor: { etags },
      };
      if (!ctx.period && previous && JSON.stringify(previous) === JSON.stringify(etags)) return { ...base, files: [], unchanged: true };
      const files = [];
      for (const [i, blob] of blobs.entries()) {
        const path = join(ctx.workDir, 'blob', `${i}-${blob.name.split('/').pop()}`);
        mkdirSync(dirname(path), { recursive: true });
        await container.getBlobClient(blob.name).downloadToFile(path);
        files.push({ location: { kind: 'local' as const, path }, name: `${settings.container}/${blob.name}`, format: settings.format });
      }
      return { ...base, files };
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 403 || status === 404) throw ValidationError.field('settings.container', `${settings.container}: ${(error as Error).message.split('\n')[0]}`);
      throw new UnavailableError(`Azure storage ${settings.container}: ${(error as Error).message.split('\n')[0]}`, error);
    }
  }
}
