/** Figures as the cost lines' formulas and the reports write them: en-US grouping. */
import type { Load } from './load.js';

/** `1,234.57`: at most `digits` decimals. */
export const num = (value: number, digits = 2): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits });

/** `$1,234.50`: dollars and cents. */
export const usd = (value: number): string =>
  `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** `$1,235`: whole dollars. */
export const usd0 = (value: number): string => `$${Math.round(value).toLocaleString('en-US')}`;

/** `$0.1763`, or `–` where there is no figure (no events). */
export const perMillion = (value: number): string => (Number.isFinite(value) ? `$${value.toFixed(4)}` : '–');

/** `12.3%` of a share in 0–1. */
export const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** `50,000 events/s of 5,300 B, 500 per request, gzip 3:1`. */
export function describeLoad(load: Load): string {
  return (
    `${num(load.eventsPerSec)} events/s of ${num(load.eventBytes)} B, ${num(load.eventsPerRequest)} ` +
    `per request, gzip ${num(load.gzipRatio)}:1`
  );
}
