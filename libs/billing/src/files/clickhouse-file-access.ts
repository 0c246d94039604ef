import { constants } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ValidationError } from '@tollgate/core';
import { BillingFileRef } from './billing-file.ingester';

/**
 * Billing files are read by ClickHouse itself (file()), so they must be where ClickHouse can open them. chDB runs in
 * this process and reads any local path. A ClickHouse server reads only its own disk: there, the billing work
 * directory is a volume mounted in both containers, seen by the server at CLICKHOUSE_FILES_DIR, and files from
 * elsewhere (a local-files source's directory) are copied into the run's work directory first.
 */
export class ClickHouseFileAccess {
  private readonly workRoot: string;

  constructor(
    workRoot: string,
    private readonly server?: { filesDir?: string },
  ) {
    this.workRoot = resolve(workRoot);
  }

  static fromConfig(config: { CLICKHOUSE_URL?: string; CLICKHOUSE_FILES_DIR?: string }, workRoot: string): ClickHouseFileAccess {
    return new ClickHouseFileAccess(workRoot, config.CLICKHOUSE_URL ? { filesDir: config.CLICKHOUSE_FILES_DIR } : undefined);
  }

  /** The path ClickHouse opens for a local file under the work root. */
  pathForClickHouse = (path: string): string => {
    if (!this.server) return path;
    const inside = this.relativeToWorkRoot(path);
    if (inside === undefined || !this.server.filesDir) throw this.unreachable(path);
    return join(this.server.filesDir, inside);
  };

  /** Local files outside the work root, copied into `workDir` when a ClickHouse server has to read them. */
  async bringIntoReach(files: BillingFileRef[], workDir: string): Promise<BillingFileRef[]> {
    if (!this.server) return files;
    if (!this.server.filesDir && files.some((f) => f.location.kind === 'local')) throw this.unreachable(files.find((f) => f.location.kind === 'local')!.name);
    return Promise.all(
      files.map(async (file, i) => {
        if (file.location.kind !== 'local' || this.relativeToWorkRoot(file.location.path) !== undefined) return file;
        // The index keeps two files of one name (from different sub-directories) apart; the name in errors is unchanged.
        const copy = join(workDir, `${i}-${basename(file.location.path)}`);
        await copyFile(file.location.path, copy, constants.COPYFILE_FICLONE);
        return { ...file, location: { kind: 'local' as const, path: copy } };
      }),
    );
  }

  private relativeToWorkRoot(path: string): string | undefined {
    const rel = relative(this.workRoot, resolve(path));
    return rel && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel) ? rel : undefined;
  }

  private unreachable(what: string): ValidationError {
    return ValidationError.field(
      'CLICKHOUSE_FILES_DIR',
      `the ClickHouse server cannot read local billing file ${what}: mount ${this.workRoot} into the server (inside its user_files path) and set CLICKHOUSE_FILES_DIR to where it sees it`,
    );
  }
}
