import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@tollgate/storage';
import { GENERATED_DOCS } from './docs/generated-docs';

/** `npm run docs`: rewrites the docs generated from the code's schemas (a test fails when a committed one is stale). */
for (const [path, render] of Object.entries(GENERATED_DOCS)) {
  writeFileSync(join(projectRoot(), path), render());
  process.stdout.write(`wrote ${path}\n`);
}
