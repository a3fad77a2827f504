import { describe, expect, it } from 'vitest';
import { inventory } from '../../../lib/pricing/inventory.js';
import { pricesFor } from '../../../lib/pricing/prices.js';
import { tierReport } from '../../../lib/pricing/report.js';
import { ceilingLoad, tierCost } from '../../../lib/pricing/tier-cost.js';
import { billAt, workloadCosts } from '../../../lib/pricing/workload-cost.js';
import { SMALL_TEMPLATE } from './small-template.js';

const prices = pricesFor('us-east-1');
const resources = inventory(SMALL_TEMPLATE);
const WORKLOADS = [
  { name: 'unique', gzipRatio: 3, bytesPerEvent: 1_800 },
  { name: 'sessions', gzipRatio: 4.6, bytesPerEvent: 1_180 },
];

describe('workloadCosts', () => {
  it("bills as the tier's own cost does at the same load, month 1 and at steady state", () => {
    const load = { ...ceilingLoad(3), gzipRatio: 4.6 };
    const cost = tierCost({ tier: 3, template: SMALL_TEMPLATE, load });
    expect(billAt(resources, load, prices)).toEqual({
      monthlyUsd: expect.closeTo(cost.total, 6),
      steadyStateUsd: expect.closeTo(cost.steadyState?.total ?? Number.NaN, 6),
      steadyStateMonth: cost.steadyState?.month,
    });
  });

  it('prices each workload at its ratio only, and the better ratio costs less', () => {
    const [unique, sessions] = workloadCosts(resources, ceilingLoad(3), prices, WORKLOADS);
    expect(unique).toMatchObject(WORKLOADS[0] as object);
    expect(sessions).toMatchObject(WORKLOADS[1] as object);
    // At the load's own ratio the unique workload is the headline bill.
    const headline = tierCost({ tier: 3, template: SMALL_TEMPLATE });
    expect(unique?.monthlyUsd).toBeCloseTo(headline.total, 6);
    expect(sessions?.monthlyUsd).toBeLessThan(unique?.monthlyUsd ?? 0);
    expect(sessions?.steadyStateUsd).toBeLessThan(unique?.steadyStateUsd ?? 0);
  });
});

describe("a tier's report", () => {
  it('carries each workload it is given, priced; none by default', () => {
    const report = tierReport({ tier: 2, template: SMALL_TEMPLATE, workloads: WORKLOADS });
    expect(report.workloads.map((w) => [w.name, w.gzipRatio])).toEqual([
      ['unique', 3],
      ['sessions', 4.6],
    ]);
    expect(report.workloads[0]?.monthlyUsd).toBeCloseTo(report.totalUsd, 6);
    expect(report.workloads[0]?.steadyStateUsd).toBeCloseTo(report.steadyStateUsd ?? Number.NaN, 6);
    expect(tierReport({ tier: 2, template: SMALL_TEMPLATE }).workloads).toEqual([]);
  });
});
