import { describe, expect, it } from 'vitest';
import { describeLoad, num, pct, perMillion, usd, usd0 } from '../../../lib/pricing/format.js';

describe('formatting figures', () => {
  it.each([
    [num(1_234.567), '1,234.57'],
    [num(0.123_456, 4), '0.1235'],
    [num(2_628_000), '2,628,000'],
    [usd(1_234.5), '$1,234.50'],
    [usd(0), '$0.00'],
    [usd0(1_234.5), '$1,235'],
    [perMillion(0.176_34), '$0.1763'],
    [perMillion(Number.NaN), '–'],
    [pct(0.1234), '12.3%'],
    [
      describeLoad({ eventsPerSec: 50_000, eventBytes: 5_300, gzipRatio: 3, eventsPerRequest: 500 }),
      '50,000 events/s of 5,300 B, 500 per request, gzip 3:1',
    ],
  ])('%s is %s', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});
