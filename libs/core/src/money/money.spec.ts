import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dec, allocateProportionally, parseDecimal, toMoneyString } from './money';

describe('money', () => {
  it('splits a bill over weights so the parts sum to the cent', () => {
    const parts = allocateProportionally(new Dec('100.00'), [new Dec(1), new Dec(1), new Dec(1)]);
    assert.deepEqual(parts.map((p) => p.toFixed(2)), ['33.34', '33.33', '33.33']);
    assert.equal(parts.reduce((a, b) => a.plus(b), new Dec(0)).toFixed(2), '100.00');
  });

  it('keeps the sign of a negative total (credits) and its exact sum', () => {
    const parts = allocateProportionally(new Dec('-10.01'), [new Dec('0.5'), new Dec('0.25'), new Dec('0.25')]);
    assert.equal(parts.reduce((a, b) => a.plus(b), new Dec(0)).toFixed(2), '-10.01');
    assert.ok(parts.every((p) => p.isNegative() || p.isZero()));
  });

  it('never uses binary floating point: 0.1 + 0.2 is 0.3', () => {
    assert.equal(parseDecimal('0.1').plus(parseDecimal(0.2)).toString(), '0.3');
    assert.equal(toMoneyString(new Dec('0.0000025').times(1234567)), '3.086417500000');
  });

  it('rejects values that are not decimal numbers', () => {
    assert.throws(() => parseDecimal('12,5'), /not a decimal number/);
    assert.throws(() => parseDecimal(Number.NaN), /not a finite number/);
  });
});
