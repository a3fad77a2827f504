import { describe, expect, it } from 'vitest';
import { lineLabel, mainLines } from '../../../../lib/pricing/render/main-lines.js';
import type { ReportLine, TierReport } from '../../../../lib/pricing/report.js';
import { SMALL_REPORTS } from './small-reports.js';

const line = (count: number): ReportLine => ({
  component: 'analytics',
  item: 'EC2 t3.small',
  count,
  formula: '1 × 730 h',
  unit: 'instance-h',
  unitPriceUsd: 0.0208,
  monthlyUsd: count * 15.184,
});

describe('the main lines', () => {
  it.each([
    [1, 'EC2 t3.small'],
    [3, '3 × EC2 t3.small'],
  ])('label %d identical lines %s', (count, label) => {
    expect(lineLabel(line(count))).toBe(label);
  });

  it("are a report's eight largest", () => {
    const [first] = SMALL_REPORTS;
    if (first === undefined) throw new Error('no report');
    const many: TierReport = { ...first, lines: Array.from({ length: 12 }, (_, i) => line(12 - i)) };
    expect(mainLines(many).map((l) => l.count)).toEqual([12, 11, 10, 9, 8, 7, 6, 5]);
  });
});
