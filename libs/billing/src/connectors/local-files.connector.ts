import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { ValidationError, parseOrThrow } from '@tollgate/core';
import { FileNameGlob } from '../files/file-name.glob';
import { sourceSettingsSchemas } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput, sameFingerprints } from './billing.connector';
import { MANIFEST_MAX_BYTES, selectExportFiles } from './export-run.selector';

/**
 * Export files in a local directory (or one file), inside the configured roots (symlinks resolved, so no link leads
 * out). Manifests and export runs as in `selectExportFiles`. Incremental by fingerprint: the cursor keeps each file's
 * size and mtime, and a sync whose files are all unchanged does nothing. When anything changed, all selected files are
 * read again: a period's lines may span files, and the period is replaced whole.
 */
export class LocalFilesConnector implements BillingConnector {
  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const { path: setting, format, pattern } = parseOrThrow(sourceSettingsSchemas['local-files'].settings, ctx.settings, { prefix: 'settings' });
    const path = ctx.localRoots.confine(setting);
    const glob = pattern ? FileNameGlob.parseSetting(pattern) : undefined;
    const stat = statSync(path);
    let files: { path: string; name: string; exportRun?: { id: string; at: number } }[];
    if (stat.isDirectory()) {
      const listed = readdirSync(path, { recursive: true, encoding: 'utf8' })
        .map((f) => join(path, f))
        .filter((f) => this.isConfinedFile(ctx, f))
        .map((f) => ({ key: relative(path, f).split(sep).join('/'), modifiedAt: statSync(f).mtimeMs }));
      const selected = await selectExportFiles(listed, async (key) => this.readManifest(join(path, key)), glob);
      files = selected.map((s) => ({ path: join(path, s.key), name: s.key, exportRun: s.exportRun }));
    } else {
      files = [{ path, name: basename(setting) }];
    }
    const paths = files.map((f) => f.path);
    const fingerprints = Object.fromEntries(paths.map((p) => [p, `${statSync(p).size}:${statSync(p).mtimeMs}`]));
    const previous = (ctx.source.sync_cursor as { files?: Record<string, string> } | null)?.files;
    const unchanged = !ctx.period && sameFingerprints(previous, fingerprints);
    return {
      files: files.map((f) => ({ location: { kind: 'local', path: f.path }, name: f.name, format, exportRun: f.exportRun })),
      periods: ctx.period ? [ctx.period] : undefined,
      skipOutsidePeriods: true,
      inputs: paths,
      cursor: { files: fingerprints },
      unchanged,
    };
  }

  /** A regular file whose real path stays inside the roots; a symlink pointing out is refused, naming it. */
  private isConfinedFile(ctx: CollectContext, file: string): boolean {
    try {
      if (!statSync(file).isFile()) return false;
    } catch {
      return false; // a dangling symlink: nothing to read
    }
    if (realpathSync(file) !== file) ctx.localRoots.confine(file, 'settings.path');
    return true;
  }

  private readManifest(file: string): string {
    if (statSync(file).size > MANIFEST_MAX_BYTES) return '';
    return readFileSync(file, 'utf8');
  }
}
