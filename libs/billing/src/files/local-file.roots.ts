import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ValidationError } from '@tollgate/core';

/**
 * The directories a local-files source may read (BILLING_LOCAL_ROOTS, default `<data dir>/billing/local`). A path
 * is refused when it has a `..` segment or when, symlinks resolved, it is not inside a root; errors name the path
 * only, never anything read from it.
 */
export class LocalFileRoots {
  constructor(private readonly roots: readonly string[]) {}

  static fromConfig(config: { TOLLGATE_DATA_DIR: string; BILLING_LOCAL_ROOTS?: string[] }): LocalFileRoots {
    return new LocalFileRoots(config.BILLING_LOCAL_ROOTS ?? [join(resolve(config.TOLLGATE_DATA_DIR), 'billing', 'local')]);
  }

  get directories(): readonly string[] {
    return this.roots;
  }

  /** The lexical checks, for a path that may not exist yet (a source saved before its first export lands). */
  checkSetting(path: string, setting = 'settings.path'): void {
    if (path.includes('\0')) throw ValidationError.field(setting, 'a path cannot hold a NUL byte');
    if (!isAbsolute(path)) throw ValidationError.field(setting, `must be an absolute path inside ${this.describe()}`);
    if (path.split(/[\\/]/).includes('..')) throw ValidationError.field(setting, 'must not contain `..`');
    if (!this.roots.some((root) => inside(resolve(root), resolve(path)))) throw ValidationError.field(setting, `${path} is outside the allowed directories ${this.describe()}`);
  }

  /** The real path of an existing file or directory, refused unless it is inside a root with symlinks resolved. */
  confine(path: string, setting = 'settings.path'): string {
    this.checkSetting(path, setting);
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      throw ValidationError.field(setting, `${path} does not exist`);
    }
    if (!this.roots.some((root) => inside(existsSync(root) ? realpathSync(root) : resolve(root), real))) {
      throw ValidationError.field(setting, `${path} leads outside the allowed directories ${this.describe()} (through a symlink)`);
    }
    return real;
  }

  private describe(): string {
    return `(BILLING_LOCAL_ROOTS: ${this.roots.join(', ')})`;
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
