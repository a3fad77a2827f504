import { describe, expect, it } from 'vitest';
import { renderText } from '../../../../lib/pricing/render/text.js';
import { SMALL_REPORTS, SMALL_REPORTS_BY_WORKLOAD } from './small-reports.js';

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

  it('prints the floor at each of its ratios, with its price per compressed GB', () => {
    const [three, five] = SMALL_REPORTS[0]?.floor.points ?? [];
    expect(text).toContain('floor (ALB processed bytes + Firehose ingestion alone): ');
    expect(text).toContain(`at 3:1 ($${three?.perCompressedGbUsd.toFixed(4)} per compressed GB`);
    expect(text).toContain(`at 5:1 ($${five?.perCompressedGbUsd.toFixed(4)} per compressed GB`);
  });

  it('prints each tier it is given, in order', () => {
    const all = renderText(SMALL_REPORTS);
    const at = [1, 2, 3, 4].map((tier) => all.indexOf(`tier ${tier}: `));
    expect(at.every((i, n) => i >= 0 && (n === 0 || i > (at[n - 1] ?? 0)))).toBe(true);
  });

  it("prints the tier at each workload's ratio beside the headline's, or nothing without workloads", () => {
    expect(text).not.toContain('by workload');
    const withWorkloads = renderText(SMALL_REPORTS_BY_WORKLOAD.slice(2, 3));
    expect(withWorkloads).toContain(
      "by workload (gzip measured in this run at the SDK's level 6, per request batch; the figures above are at 3:1):",
    );
    expect(withWorkloads).toMatch(/\n {2}unique +3\.05:1 +1,806 +\$[\d,]+ +\$[\d,]+ \(month 25\)\n/);
    expect(withWorkloads).toMatch(/\n {2}sessions +4\.68:1 +1,175 +\$[\d,]+ +\$[\d,]+ \(month 25\)\n/);
  });
});
