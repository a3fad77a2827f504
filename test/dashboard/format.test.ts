import { describe, expect, it } from 'vitest';
import { formatCents, formatCount, formatMs, formatPercent } from '../../dashboard/src/format.js';

describe('dashboard formats', () => {
  it.each([
    [120.9077, '$1.21'],
    [100, '$1.00'],
    [99.5, '$0.9950'],
    [0.1502, '$0.0015'],
    [0, '$0.0000'],
    [123456, '$1,234.56'],
  ])('cents %s read as %s', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it.each([
    [null, '–'],
    [3035, '3,035 ms'],
    [12_345, '12.3 s'],
  ])('latency %s reads as %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });

  it('counts and rates', () => {
    expect(formatCount(335020)).toBe('335,020');
    expect(formatPercent(0.023333)).toBe('2.3%');
    expect(formatPercent(null)).toBe('–');
  });
});
