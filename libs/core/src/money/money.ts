import Decimal from 'decimal.js';

/**
 * Money is Decimal end to end. One configured constructor so every lib computes with the same precision;
 * 40 significant digits covers ClickHouse Decimal(38, 12) without loss.
 */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Dec = Decimal;

/** Scale of money columns in ClickHouse (Decimal(38, 12)). */
export const MONEY_SCALE = 12;

export interface Money {
  amount: Dec;
  currency: string;
}

const CURRENCY = /^[A-Z]{3}$/;

export function isCurrencyCode(value: string): boolean {
  return CURRENCY.test(value);
}

/** Parses a decimal string or integer exactly; rejects floats' binary noise by refusing non-finite and exponent-free garbage. */
export function parseDecimal(value: string | number | Decimal): Dec {
  if (value instanceof Decimal) return new Dec(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    // A JS number is converted through its shortest round-trip string, never its binary expansion.
    return new Dec(String(value));
  }
  const trimmed = value.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) throw new RangeError(`not a decimal number: '${value}'`);
  return new Dec(trimmed);
}

/** Fixed-point string at the storage scale, as ClickHouse Decimal columns take it. */
export function toMoneyString(value: Dec, scale = MONEY_SCALE): string {
  return value.toDecimalPlaces(scale, Decimal.ROUND_HALF_EVEN).toFixed(scale);
}

/**
 * Splits `total` over `weights` at `scale` decimal places so the parts sum to `total` exactly (largest remainder):
 * each part is floored, then the leftover units go to the parts with the largest fractional remainders
 * (ties to the earlier index, so the result is deterministic). Weights must be non-negative and not all zero.
 */
export function allocateProportionally(total: Dec, weights: Dec[], scale = 2): Dec[] {
  if (weights.length === 0) throw new RangeError('no weights to allocate over');
  const sumWeights = weights.reduce((acc, w) => {
    if (w.isNegative()) throw new RangeError('weights must be non-negative');
    return acc.plus(w);
  }, new Dec(0));
  if (sumWeights.isZero()) throw new RangeError('weights sum to zero');
  const unit = new Dec(10).pow(-scale);
  const sign = total.isNegative() ? -1 : 1;
  const abs = total.abs().toDecimalPlaces(scale, Decimal.ROUND_HALF_EVEN);
  const exact = weights.map((w) => abs.times(w).dividedBy(sumWeights));
  const floored = exact.map((e) => e.toDecimalPlaces(scale, Decimal.ROUND_DOWN));
  let leftoverUnits = abs.minus(floored.reduce((a, b) => a.plus(b), new Dec(0))).dividedBy(unit).round().toNumber();
  const order = exact
    .map((e, i) => ({ i, rem: e.minus(floored[i]) }))
    .sort((a, b) => b.rem.comparedTo(a.rem) || a.i - b.i);
  for (const { i } of order) {
    if (leftoverUnits <= 0) break;
    floored[i] = floored[i].plus(unit);
    leftoverUnits--;
  }
  return floored.map((p) => (sign < 0 ? p.negated() : p));
}
