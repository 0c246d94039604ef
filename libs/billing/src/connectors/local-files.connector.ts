import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ValidationError, parseOrThrow } from '@tollgate/core';
import { sourceSettingsSchemas } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput } from './billing.connector';

const BILLING_FILE = /\.(csv|csv\.gz|parquet)$/i;

/**
 * Export files in a local directory (or one file). Incremental by fingerprint: the cursor keeps each file's size
 * and mtime, and a sync whose files are all unchanged does nothing. When anything changed, all files are read
 * again: a period's lines may span files, and the period is replaced whole.
 */
export class LocalFilesConnector implements BillingConnector {
  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const { path, format, pattern } = parseOrThrow(sourceSettingsSchemas['local-files'].settings, ctx.settings, { prefix: 'settings' });
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw ValidationError.field('settings.path', `${path} does not exist`);
    }
    const match = pattern ? new RegExp(pattern) : BILLING_FILE;
    const paths = stat.isDirectory()
      ? readdirSync(path, { recursive: true, encoding: 'utf8' })
          .map((f) => join(path, f))
          .filter((f) => match.test(basename(f)) && statSync(f).isFile())
          .sort()
      : [path];
    const fingerprints = Object.fromEntries(paths.map((p) => [p, `${statSync(p).size}:${statSync(p).mtimeMs}`]));
    const previous = (ctx.source.sync_cursor as { files?: Record<string, string> } | null)?.files;
    const unchanged = !ctx.period && previous !== undefined && JSON.stringify(previous) === JSON.stringify(fingerprints);
    return {
      files: paths.map((p) => ({ location: { kind: 'local', path: p }, name: p.slice(stat.isDirectory() ? path.length + 1 : p.lastIndexOf('/') + 1) || basename(p), format })),
      periods: ctx.period ? [ctx.period] : undefined,
      skipOutsidePeriods: true,
      inputs: paths,
      cursor: { files: fingerprints },
      unchanged,
    };
  }
}
