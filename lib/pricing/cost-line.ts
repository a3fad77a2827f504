import type { BillableResource } from './billable-resource.js';
import { num } from './format.js';
import { HOURS_PER_MONTH, type Price } from './prices.js';

/** One priced item of a month's bill. */
export interface CostLine {
  readonly component: string;
  readonly item: string;
  readonly quantity: number;
  /** The unit of `quantity`, which is the unit of the price. */
  readonly unit: string;
  readonly unitPriceUsd: number;
  /** `quantity × unitPriceUsd`. */
  readonly monthlyUsd: number;
  /** How `quantity` was reached, in words and numbers. */
  readonly formula: string;
}

/** A line of `r`'s component: `quantity` of `price`'s unit. */
export function costLine(
  r: BillableResource,
  item: string,
  quantity: number,
  price: Price,
  formula: string,
): CostLine {
  return {
    component: r.component,
    item,
    quantity,
    unit: price.unit,
    unitPriceUsd: price.usd,
    monthlyUsd: quantity * price.usd,
    formula,
  };
}

/** `count` of an hourly-priced thing, running all month. */
export function hourlyLine(r: BillableResource, item: string, count: number, price: Price): CostLine {
  return costLine(r, item, count * HOURS_PER_MONTH, price, `${num(count)} × ${HOURS_PER_MONTH} h`);
}

/**
 * A quantity priced in bands (the first 500 TB, the next 1.5 PB, …): one line per band it reaches,
 * `item (band 2)` from the second. `sizes` are the sizes of all bands but the last; `prices` has
 * one per band.
 */
export function bandedLines(
  r: BillableResource,
  item: string,
  quantity: number,
  bands: { readonly sizes: readonly number[]; readonly prices: readonly Price[] },
  formula: string,
): CostLine[] {
  const parts: number[] = [];
  let left = quantity;
  for (const size of bands.sizes) {
    parts.push(Math.min(left, size));
    left = Math.max(0, left - size);
  }
  parts.push(left);
  return parts.flatMap((part, i) => {
    const price = bands.prices[i];
    return part > 0 && price
      ? [costLine(r, `${item}${i === 0 ? '' : ` (band ${i + 1})`}`, part, price, formula)]
      : [];
  });
}
