import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '@tollgate/storage';

/**
 * A folder of the shared datasets that sit beside the repository (`../shared/datasets`): real public billing
 * exports and model-outcome data. A missing folder fails with what is missing and where it was looked for, not with
 * an ENOENT from deep inside a test.
 */
export function sharedDataset(...parts: string[]): string {
  const root = resolve(projectRoot(), '..', 'shared', 'datasets');
  const dir = join(root, ...parts);
  if (!existsSync(dir)) {
    throw new Error(
      `shared dataset folder not found: ${dir}. These tests read the shared datasets (../shared/datasets beside the ` +
        `repository checkout); put a copy of the project's shared/ folder next to the repository and run again.`,
    );
  }
  return dir;
}
