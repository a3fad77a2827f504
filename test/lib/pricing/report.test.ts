import { describe, expect, it } from 'vitest';
import { designDocListPrice } from '../../../lib/pricing/design-doc.js';
import { floorAnalysis } from '../../../lib/pricing/floor.js';
import { describeLoad } from '../../../lib/pricing/format.js';
import { pricesFor } from '../../../lib/pricing/prices.js';
import { sensitivity, tierReport } from '../../../lib/pricing/report.js';
import { ceilingLoad } from '../../../lib/pricing/tier-cost.js';
import { SMALL_TEMPLATE } from './small-template.js';

const report = tierReport({ tier: 1, template: SMALL_TEMPLATE });
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe('tierReport', () => {
  it("prices the tier at its ceiling by default, with the tier's name", () => {
    expect(report).toMatchObject({ tier: 1, name: 'tier 1: up to 1,000 events/s', load: ceilingLoad(1) });
  });

  it('puts identical lines together, counted, their dollars summed', () => {
    const ec2 = report.lines.filter((l) => l.item === 'EC2 c5.xlarge');
    expect(ec2).toEqual([
      expect.objectContaining({ count: 2, monthlyUsd: expect.closeTo(2 * 730 * 0.17, 9) }),
    ]);
  });

  it('lists the lines largest first', () => {
    const usd = report.lines.map((l) => l.monthlyUsd);
    expect(usd).toEqual([...usd].sort((a, b) => b - a));
  });

  it('totals the lines and the components alike, the components in inventory order with their shares', () => {
    expect(report.totalUsd).toBeCloseTo(sum(report.lines.map((l) => l.monthlyUsd)), 9);
    expect(report.components.map((c) => c.component)).toEqual(['ingest', 'stream', 'archive', 'analytics']);
    expect(sum(report.components.map((c) => c.monthlyUsd))).toBeCloseTo(report.totalUsd, 9);
    expect(sum(report.components.map((c) => c.share))).toBeCloseTo(1, 12);
  });

  it('gives month 12 from a projection of 12 months, none from a shorter one', () => {
    expect(report.projection).toHaveLength(12);
    expect(report.month12Usd).toBe(report.projection[11]?.totalUsd);
    const short = tierReport({ tier: 1, template: SMALL_TEMPLATE, months: 3 });
    expect(short.projection).toHaveLength(3);
    expect(short.month12Usd).toBeNull();
  });

  it('prices the load it is given', () => {
    const load = { ...ceilingLoad(1), eventsPerSec: 500 };
    const half = tierReport({ tier: 1, template: SMALL_TEMPLATE, load });
    expect(half.load).toEqual(load);
    expect(half.totalUsd).toBeLessThan(report.totalUsd);
  });

  it("sets the design document's figure beside ours and says why they differ", () => {
    expect(report.designDoc).toMatchObject({
      usd: 98,
      listPriceUsd: designDocListPrice(1),
      differenceUsd: expect.closeTo(report.totalUsd - 98, 9),
    });
    const text = report.designDoc.explanation;
    expect(text).toContain('$98 is below the list price of what it names');
    expect(text).toContain('= $129.79 a month at 730 h');
    expect(text).toContain(`its largest lines: ${report.lines[0]?.item}`);
    expect(text).toContain('ours reaches');
    expect(text).toMatch(/and \$[\d,.]+ from month 25 on, once the oldest writes leave every store\.$/);
  });
});

describe('tierReport: steady state and volumes', () => {
  it('gives the steady-state month (the archive expires at 730 days: month 25) and its total', () => {
    const long = tierReport({ tier: 1, template: SMALL_TEMPLATE, months: 26 });
    expect(report).toMatchObject({ steadyStateMonth: 25, steadyStateHorizonDays: 730 });
    expect(report.steadyStateUsd).toBeCloseTo(long.projection[24]?.totalUsd ?? 0, 6);
    expect(long.projection[25]?.totalUsd).toBeCloseTo(report.steadyStateUsd ?? 0, 6);
    expect(report.steadyStateUsd).toBeGreaterThan(report.month12Usd ?? Number.POSITIVE_INFINITY);
  });

  it('lists the hot, warm and archive volumes, each with its lines in month 1 and at steady state', () => {
    expect(report.volumes.map((v) => v.volume)).toEqual(['hot', 'warm', 'archive']);
    const [hot, warm, archive] = report.volumes;
    expect(hot?.month1.lines.map((l) => [l.item, l.count])).toEqual([['EBS gp3 storage', 2]]);
    // 2 × 2,000 GiB at $0.08.
    expect(hot?.steadyState?.monthlyUsd).toBeCloseTo(320, 9);
    expect(hot?.holds).toMatch(/^2 × 2,000 GiB gp3: rows for 2–/);
    expect(warm?.month1.lines.map((l) => l.item)).toEqual(
      expect.arrayContaining(['S3 disk storage (S3 Standard)', 'S3 disk PUTs', 'S3 disk GETs']),
    );
    expect(warm?.holds).toMatch(/^rows aged 2–90 d \(bodies to 7 d\)/);
    expect(archive?.holds).toBe(
      'every event as sent (gzip): Standard to 30 d, Standard-IA to 90 d, Glacier Deep Archive to 730 d',
    );
    expect(archive?.month1.lines.some((l) => l.item.includes('Deep Archive'))).toBe(false);
    expect(archive?.steadyState?.lines.map((l) => l.item)).toEqual(
      expect.arrayContaining(['S3 Glacier Deep Archive storage', 'S3 transitions to Glacier Deep Archive']),
    );
    for (const v of report.volumes) {
      for (const month of [v.month1, v.steadyState]) {
        expect(month?.monthlyUsd).toBeCloseTo(sum(month?.lines.map((l) => l.monthlyUsd) ?? []), 9);
      }
    }
  });

  it("bills the volumes' month-1 lines among the tier's", () => {
    const volumeUsd = sum(report.volumes.map((v) => v.month1.monthlyUsd));
    const analyticsAndArchive = sum(
      report.lines.filter((l) => /^(EBS gp3|S3 )/.test(l.item)).map((l) => l.monthlyUsd),
    );
    expect(volumeUsd).toBeCloseTo(analyticsAndArchive, 9);
  });
});

describe('tierReport: the floor', () => {
  it("prices the load balancer's bytes and Firehose alone at the report's load, at 3:1 and 5:1", () => {
    const load = { ...ceilingLoad(2), eventsPerSec: 4_000 };
    const at = tierReport({ tier: 2, template: SMALL_TEMPLATE, load });
    expect(at.floor.points.map((p) => p.gzipRatio)).toEqual([3, 5]);
    expect(at.floor.points.map((p) => p.load)).toEqual([
      { ...load, gzipRatio: 3 },
      { ...load, gzipRatio: 5 },
    ]);
    const [expected] = floorAnalysis({
      prices: pricesFor('us-east-1'),
      tiers: [2],
      loadOf: (_, gzipRatio) => ({ ...load, gzipRatio }),
    });
    expect(at.floor).toEqual(expected);
  });

  it('is below the tier’s own bill: the bill holds the same load balancer and Firehose lines and more', () => {
    const [threeToOne] = report.floor.points;
    expect(threeToOne?.monthlyUsd).toBeGreaterThan(0);
    expect(threeToOne?.monthlyUsd).toBeLessThan(report.totalUsd);
  });
});

describe('sensitivity', () => {
  const rows = sensitivity(3, SMALL_TEMPLATE);

  it('moves one input at a time from the ceiling', () => {
    expect(rows.map((r) => [r.input, r.value])).toEqual([
      ['baseline', describeLoad(ceilingLoad(3))],
      ['events per request', '50'],
      ['events per request', '500'],
      ['compression', '3:1'],
      ['compression', '5:1'],
      ['event size', '2.6 KB'],
      ['event size', '5.3 KB'],
      ['event size', '10.6 KB'],
    ]);
  });

  it('prices the baseline’s own values as the baseline', () => {
    const baseline = rows[0]?.month1Usd;
    // The sizing assumptions are 500 per request, 3:1 and 5.3 KB.
    expect([rows[2], rows[3], rows[6]].map((r) => r?.month1Usd)).toEqual([baseline, baseline, baseline]);
    expect(rows[0]?.month12Usd).toBeGreaterThan(baseline ?? Number.POSITIVE_INFINITY);
  });

  it('notes the requests too large for one Kinesis record: 500 × 10.6 KB ÷ 3 = 1.77 MB', () => {
    expect(rows.filter((r) => r.note !== '').map((r) => r.value)).toEqual(['10.6 KB']);
    expect(rows[7]?.note).toBe(
      "a request of 500 is 1.77 MB gzip, over Kinesis's 1 MiB record: the SDK's 1 MB cap sends ≤ 283 per request",
    );
  });
});
