import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ValidationError } from './domain.errors';
import { parseOrThrow, zodProblems } from './zod-problems';

describe('zodProblems', () => {
  const schema = z.object({ name: z.string().min(1, 'must not be empty'), limits: z.object({ rpm: z.number().int() }).strict() }).strict();
  const problems = (input: unknown, options?: Parameters<typeof zodProblems>[1]) => {
    const result = schema.safeParse(input);
    assert.equal(result.success, false);
    return zodProblems(result.error!, options);
  };

  it('names each field by its dotted path, under a prefix when given', () => {
    assert.deepEqual(problems({ name: '', limits: { rpm: 1.5 } }), [
      { field: 'name', reason: 'must not be empty' },
      { field: 'limits.rpm', reason: 'Invalid input: expected int, received number' },
    ]);
    assert.deepEqual(problems({ name: '', limits: { rpm: 1 } }, { prefix: 'key' }), [{ field: 'key.name', reason: 'must not be empty' }]);
  });

  it('names every unknown key of a strict object, nested ones by their full path', () => {
    assert.deepEqual(problems({ name: 'a', limits: { rpm: 1, burst: 2 }, colour: 'red', size: 1 }), [
      { field: 'limits.burst', reason: 'unknown field' },
      { field: 'colour', reason: 'unknown field' },
      { field: 'size', reason: 'unknown field' },
    ]);
  });

  it('names the whole value when the issue has no path: the given name, the prefix, or nothing', () => {
    const whole = (options?: Parameters<typeof zodProblems>[1]) => problems('not an object', options).map((p) => p.field);
    assert.deepEqual(whole({ whole: '(body)' }), ['(body)']);
    assert.deepEqual(whole({ prefix: 'usage', whole: '(body)' }), ['usage']);
    assert.deepEqual(whole(), ['']);
  });

  it('parseOrThrow returns the parsed value, or one ValidationError listing every problem after its context', () => {
    assert.deepEqual(parseOrThrow(schema, { name: 'a', limits: { rpm: 2 } }), { name: 'a', limits: { rpm: 2 } });
    assert.throws(
      () => parseOrThrow(schema, { name: '', limits: { rpm: 1 }, colour: 'red' }, { prefix: 'key', context: 'invalid key' }),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(error.message, 'invalid key: key.name: must not be empty; key.colour: unknown field');
        assert.deepEqual(error.problems.map((p) => p.field), ['key.name', 'key.colour']);
        return true;
      },
    );
    assert.throws(() => parseOrThrow(schema, 7, { whole: '(body)' }), { message: /^\(body\): / });
  });
});
