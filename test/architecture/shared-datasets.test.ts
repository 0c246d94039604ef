import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDataset } from '../support/shared-datasets';

describe('shared datasets', () => {
  it('resolves a folder that is there', () => {
    assert.ok(existsSync(join(sharedDataset('billing'), 'focus-sample')));
  });

  it('names the missing folder and where it is expected, instead of an ENOENT deep in a test', () => {
    assert.throws(() => sharedDataset('no-such-dataset'), /shared dataset folder not found: .*shared\/datasets\/no-such-dataset\. .*\.\.\/shared\/datasets beside the repository/);
  });
});
