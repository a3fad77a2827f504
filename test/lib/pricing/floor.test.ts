import { describe, expect, it } from 'vitest';
import { COST_ASSUMPTIONS } from '../../../lib/pricing/cost-assumptions.js';
import { CostModelError } from '../../../lib/pricing/cost-model-error.js';
import { DESIGN_DOC } from '../../../lib/pricing/design-doc.js';
import {
  type FloorPoint,
  floorAnalysis,
  floorLines,
  renderFloorMarkdown,
  type TierFloor,
} from '../../../lib/pricing/floor.js';
import { pricesFor } from '../../../lib/pricing/prices.js';
import { albRule } from '../../../lib/pricing/rules/alb.js';
import { ceilingLoad } from '../../../lib/pricing/tier-cost.js';
import { TIERS, type TierId } from '../../../lib/tiers.js';

const prices = pricesFor('us-east-1');
const SECONDS = 2_628_000;
const floors = floorAnalysis({ prices });

const point = (tier: TierId, gzipRatio: number): FloorPoint => {
  const found = floors[tier - 1]?.points.find((p) => p.gzipRatio === gzipRatio);
  if (found === undefined) throw new Error(`no floor for tier ${tier} at ${gzipRatio}:1`);
  return found;
};

/**
 * The floor worked by hand: $0.008 an LCU-hour ÷ 0.4 GB an LCU-hour is $0.02 per GB processed,
 * and Firehose's $0.029 per GB (first 500 TB) of each 500-event record (the body + 200 B) rounded
 * up to 5,120 B.
 */
function byHand(eventsPerSec: number, gzipRatio: number) {
  const body = (500 * 5_300) / gzipRatio;
  const billed = Math.ceil((body + 200) / 5_120) * 5_120;
  const records = eventsPerSec / 500;
  const gb = (records * body * SECONDS) / 1e9;
  const firehoseGb = (records * billed * SECONDS) / 1e9;
  return { gb, albUsd: gb * 0.02, firehoseGb, perGb: 0.02 + (0.029 * billed) / body };
}

describe('floorAnalysis', () => {
  it('prices every tier at 3:1 and 5:1 beside the design document', () => {
    expect(floors.map((f) => [f.tier, f.designDocUsd, f.points.map((p) => p.gzipRatio)])).toEqual([
      [1, 98, [3, 5]],
      [2, 980, [3, 5]],
      [3, 5_840, [3, 5]],
      [4, 28_450, [3, 5]],
    ]);
    for (const f of floors) {
      for (const p of f.points) {
        expect(p.load).toEqual({ ...ceilingLoad(f.tier), gzipRatio: p.gzipRatio });
        expect(p.monthlyUsd).toBeCloseTo(p.albUsd + p.firehoseUsd, 9);
        expect(p.perCompressedGbUsd).toBeCloseTo(p.monthlyUsd / p.compressedGbPerMonth, 12);
        expect(p.headroomUsd).toBeCloseTo(p.designDocUsd - p.monthlyUsd, 9);
      }
    }
  });

  it.each([
    [1, 3],
    [1, 5],
    [2, 3],
    [3, 5],
  ] as const)(
    'tier %i at %i:1, in Firehose’s first band: per compressed GB it is the prices’ composition',
    (tier, ratio) => {
      const p = point(tier, ratio);
      const hand = byHand(TIERS[tier].ceilingEventsPerSec, ratio);
      expect(p.compressedGbPerMonth).toBeCloseTo(hand.gb, 6);
      expect(p.albUsd).toBeCloseTo(hand.albUsd, 6);
      expect(p.firehoseUsd).toBeCloseTo(hand.firehoseGb * 0.029, 6);
      expect(p.perCompressedGbUsd).toBeCloseTo(hand.perGb, 12);
      // 5 KB rounding on an ~0.5–0.9 MB record adds under 1%: $0.049 a GB.
      expect(p.perCompressedGbUsd).toBeGreaterThan(0.049);
      expect(p.perCompressedGbUsd).toBeLessThan(0.0495);
    },
  );

  it('tier 4 at 3:1 passes 500 TB of Firehose a month: the next band, at $0.025, lowers the per-GB figure', () => {
    const p = point(4, 3);
    const hand = byHand(200_000, 3);
    expect(hand.firehoseGb).toBeGreaterThan(500_000);
    expect(p.firehoseUsd).toBeCloseTo(500_000 * 0.029 + (hand.firehoseGb - 500_000) * 0.025, 6);
    expect(p.lines.map((l) => l.item)).toEqual([
      'ALB LCU-hours (Lambda target)',
      'Firehose ingestion',
      'Firehose ingestion (band 2)',
    ]);
    expect(p.perCompressedGbUsd).toBeLessThan(point(4, 5).perCompressedGbUsd);
  });

  it.each([
    [1, 3],
    [1, 5],
    [2, 3],
    [2, 5],
    [3, 3],
    [3, 5],
    [4, 3],
  ] as const)(
    'the floor of tier %i at %i:1 alone exceeds the design document’s figure: out of reach',
    (tier, ratio) => {
      const p = point(tier, ratio);
      expect(p.monthlyUsd).toBeGreaterThan(DESIGN_DOC[tier].usd);
      expect(p.floorFits).toBe(false);
      expect(p.reachable).toBe(false);
      expect(p.headroomUsd).toBeLessThan(0);
    },
  );

  it('tier 4 at 5:1: the floor fits $28,450 but leaves less than the design document’s own ClickHouse servers', () => {
    const p = point(4, 5);
    expect(p.floorFits).toBe(true);
    expect(p.headroomUsd).toBeGreaterThan(0);
    // 12 × c5.9xlarge at $1.53 an hour.
    expect(floors[3]?.designDocClickHouseUsd).toBeCloseTo(12 * 1.53 * 730, 6);
    expect(p.headroomUsd).toBeLessThan(12 * 1.53 * 730);
    expect(p.reachable).toBe(false);
  });

  it('finds the events/s whose floor is the design document’s figure', () => {
    for (const f of floors) {
      for (const p of f.points) {
        const [at] = floorAnalysis({
          prices,
          tiers: [f.tier],
          gzipRatios: [p.gzipRatio],
          loadOf: () => ({ ...p.load, eventsPerSec: p.designDocEventsPerSec }),
        });
        expect(at?.points[0]?.monthlyUsd).toBeCloseTo(f.designDocUsd, 2);
      }
    }
    // Below the ceiling where the floor exceeds the figure: tier 1's $98 pays for ~430 events/s at 3:1.
    expect(point(1, 3).designDocEventsPerSec).toBeCloseTo(98 / byHand(1, 3).perGb / byHand(1, 3).gb, -1);
    expect(point(4, 5).designDocEventsPerSec).toBeGreaterThan(200_000);
  });

  it('is below what the cost rule bills the tier’s load balancers, whose other LCU dimensions count too', () => {
    for (const tier of [1, 3] as const) {
      const load = ceilingLoad(tier);
      const context = {
        load,
        prices,
        assumptions: COST_ASSUMPTIONS,
        startDay: 0,
        endDay: 730 / 24,
        tier: TIERS[tier],
        capacity: {
          eventsPerSec: load.eventsPerSec,
          assumptions: { eventBytes: 5_300, gzipRatio: 3, eventsPerRequest: 500 },
        },
        invocationsByComponent: new Map<string, number>(),
      };
      const alb = {
        type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
        logicalId: 'Alb',
        component: 'ingest',
        size: {},
      };
      const billed = albRule([alb], context)[0]?.find((l) => l.item.startsWith('ALB LCU-hours'));
      const floor = floorLines(tier, load, prices).alb[0];
      expect(floor?.monthlyUsd).toBeGreaterThan(0);
      expect(floor?.monthlyUsd).toBeLessThanOrEqual((billed?.monthlyUsd ?? 0) + 1e-9);
    }
  });

  it('rejects a load it cannot price, naming the field', () => {
    expect(() => floorLines(1, { ...ceilingLoad(1), gzipRatio: 0 }, prices)).toThrow(CostModelError);
    expect(() => floorLines(1, { ...ceilingLoad(1), gzipRatio: 0 }, prices)).toThrow('gzipRatio');
  });
});

describe('renderFloorMarkdown', () => {
  const markdown = renderFloorMarkdown(floors);

  it('has a row per tier and ratio with the floor, the per-GB figure and the design document', () => {
    expect(markdown).toContain('## Floor: the load balancer and Firehose alone');
    const rows = markdown.split('\n').filter((line) => /^\| \d \| \d:1 \|/.test(line));
    expect(rows).toHaveLength(8);
    const p = point(3, 3);
    expect(markdown).toContain(
      `| 3 | 3:1 | 232,140 | $4,643 | $6,751 | $11,393 | $${p.perCompressedGbUsd.toFixed(4)} | $5,840 | −$5,553 | no |`,
    );
  });

  it('says per tier which figures are out of reach, and why', () => {
    const verdicts = markdown.split('\n').filter((line) => line.startsWith('- Tier'));
    expect(verdicts).toHaveLength(4);
    expect(verdicts[0]).toMatch(
      /^- Tier 1: the floor alone exceeds the design document's \$98 at 3:1 and 5:1/,
    );
    expect(verdicts[3]).toContain('at 5:1 the floor leaves $1,314 of $28,450');
    expect(verdicts[3]).toContain('$13,403 a month at list price of the ClickHouse servers');
  });

  it('renders any subset it is given', () => {
    const one: TierFloor[] = floorAnalysis({ prices, tiers: [2], gzipRatios: [4] });
    const text = renderFloorMarkdown(one);
    expect(text.split('\n').filter((line) => /^\| \d \| \d:1 \|/.test(line))).toEqual([
      expect.stringMatching(/^\| 2 \| 4:1 \|/),
    ]);
  });
});
