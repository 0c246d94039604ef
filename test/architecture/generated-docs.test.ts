import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@tollgate/storage';
import { GENERATED_DOCS } from '../../scripts/docs/generated-docs';

/** The docs generated from the code's schemas are committed as `npm run docs` writes them today. */
describe('generated docs', () => {
  for (const [path, render] of Object.entries(GENERATED_DOCS)) {
    it(`${path} is up to date with its schema (run \`npm run docs\` after changing it)`, () => {
      const file = join(projectRoot(), path);
      assert.ok(existsSync(file), `${path} is missing`);
      assert.equal(readFileSync(file, 'utf8'), render(), `${path} is stale`);
    });
  }
});
