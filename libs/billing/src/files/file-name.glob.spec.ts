import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@tollgate/core';
import { FileNameGlob } from './file-name.glob';

describe('file-name glob', () => {
  it('matches *, ? and character sets against a file name', () => {
    const g = (p: string) => new FileNameGlob(p);
    assert.equal(g('*.csv.gz').matches('cost-2025-05.csv.gz'), true);
    assert.equal(g('*.csv.gz').matches('cost-2025-05.csv'), false);
    assert.equal(g('cost-202?-*.csv').matches('cost-2025-05.csv'), true);
    assert.equal(g('cost-202?-*.csv').matches('cost-25-05.csv'), false);
    assert.equal(g('[a-c]*.csv').matches('b.csv'), true);
    assert.equal(g('[!a-c]*.csv').matches('b.csv'), false);
    assert.equal(g('*').matches(''), true);
    assert.equal(g('a*b*c').matches('aXbYc'), true);
    assert.equal(g('a*b*c').matches('aXbY'), false);
  });

  it('stays fast on the inputs that freeze a backtracking regex', () => {
    const started = process.hrtime.bigint();
    const glob = new FileNameGlob('*a*a*a*a*a*a*a*a*a*a*a*a*a*b');
    assert.equal(glob.matches('a'.repeat(5000)), false);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // O(name × pattern): 5,000 × 27 steps at most; a backtracking engine would not finish.
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  it('refuses a regular expression, explaining the glob syntax', () => {
    for (const pattern of ['^(a+)+$', '.*\\.csv', 'cost|usage']) {
      assert.throws(() => FileNameGlob.parseSetting(pattern), (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(error.problems[0].field, 'settings.pattern');
        assert.match(error.message, /looks like a regular expression; patterns are globs now: `\*` any run/);
        return true;
      });
    }
    assert.throws(() => FileNameGlob.parseSetting('[abc'), /unclosed/);
  });
});
