import { describe, expect, it } from 'vitest';
import { renderText } from '../../../../lib/pricing/render/text.js';
import { SMALL_REPORTS } from './small-reports.js';

describe('renderText', () => {
  const text = renderText(SMALL_REPORTS.slice(0, 1));

  it('prints the component table, the main lines, the total, the cost per million and the design document', () => {
    expect(text).toMatch(
      /^tier 1: up to 1,000 events\/s\n {2}at 1,000 events\/s of 5,300 B, 500 per request/,
    );
    expect(text).toContain('component  monthly USD');
    expect(text).toContain('main lines (month 1):');
    expect(text).toContain('analytics: 2 × EC2 c5.xlarge = 1 × 730 h');
    expect(text).toContain('total, month 1:');
    expect(text).toContain('per million events:       $');
    expect(text).toContain('projection (storage accumulates): m1 $');
    expect(text).toContain('design document:          $98');
    expect(text).toMatch(/\nsteady state: {13}month 25, \$[\d,]+\n/);
    expect(text).toMatch(/\n {2}archive: \$[\d,]+ in month 1, \$[\d,]+ at steady state: every event as sent/);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('prints each tier it is given, in order', () => {
    const all = renderText(SMALL_REPORTS);
    const at = [1, 2, 3, 4].map((tier) => all.indexOf(`tier ${tier}: `));
    expect(at.every((i, n) => i >= 0 && (n === 0 || i > (at[n - 1] ?? 0)))).toBe(true);
  });
});
