import { describe, expect, it } from 'vitest';
import { firehoseFigures, loaderFigures, streamFigures } from '../../../lib/capacity.js';
import { capacityTier } from '../../../lib/pricing/capacity-tier.js';
import { CostModelError } from '../../../lib/pricing/cost-model-error.js';
import { usd } from '../../../lib/pricing/format.js';
import { inventory, type TemplateJson } from '../../../lib/pricing/inventory.js';
import {
  instanceTypeIn,
  type Lever,
  type LeverOptions,
  levers,
  onDemandStreamLines,
} from '../../../lib/pricing/levers.js';
import { pricesFor } from '../../../lib/pricing/prices.js';
import { ceilingLoad, tierCost } from '../../../lib/pricing/tier-cost.js';
import { SMALL_TEMPLATE } from './small-template.js';

const prices = pricesFor('us-east-1');
const load = ceilingLoad(1);
const capacity = {
  eventsPerSec: load.eventsPerSec,
  assumptions: {
    eventBytes: load.eventBytes,
    gzipRatio: load.gzipRatio,
    eventsPerRequest: load.eventsPerRequest,
  },
};
const HOURS = 730;
const SECONDS = 2_628_000;

const leverOf = (
  name: string,
  options: LeverOptions = {},
  template: TemplateJson = SMALL_TEMPLATE,
): Lever => {
  const found = levers({ template, load, prices, options }).find((l) => l.lever === name);
  if (found === undefined) throw new Error(`no lever ${name}`);
  return found;
};

/** The small template with a loader function beside the validator. */
const WITH_LOADER: TemplateJson = {
  Resources: {
    ...SMALL_TEMPLATE.Resources,
    LoaderFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: { MemorySize: 1_024, Architectures: ['arm64'] },
      Metadata: { 'aws:cdk:path': 'EvalForge/Loader/Function/Resource' },
    },
  },
};

/** The small template with its stream's properties replaced. */
const withStream = (properties: Record<string, unknown>): TemplateJson => ({
  Resources: {
    ...SMALL_TEMPLATE.Resources,
    Stream: { Type: 'AWS::Kinesis::Stream', Properties: properties },
  },
});

describe('levers on the small template at tier 1', () => {
  const all = levers({ template: SMALL_TEMPLATE, load, prices });
  const baseline = tierCost({ tier: 1, template: SMALL_TEMPLATE, load, prices });

  it('prices every lever against the tier as it is, and a saving is baseline − alternative', () => {
    expect(all.map((l) => l.lever)).toEqual([
      'compression',
      'retention',
      'archive path',
      'instance family',
      'commitment',
      'Kinesis on-demand',
    ]);
    for (const l of all) {
      expect(l.monthly.baselineUsd).toBeCloseTo(baseline.total, 9);
      expect(l.monthly.savingUsd).toBeCloseTo(l.monthly.baselineUsd - l.monthly.alternativeUsd, 9);
      expect(l.steadyState?.baselineUsd).toBeCloseTo(baseline.steadyState?.total ?? Number.NaN, 9);
    }
  });

  it('compression: the bill at 5:1 by default, or the ratio given', () => {
    const at = (gzipRatio: number) =>
      tierCost({ tier: 1, template: SMALL_TEMPLATE, load: { ...load, gzipRatio }, prices }).total;
    expect(leverOf('compression').monthly.savingUsd).toBeCloseTo(baseline.total - at(5), 9);
    expect(leverOf('compression').monthly.savingUsd).toBeGreaterThan(0);
    expect(leverOf('compression', { compression: 4 }).setting).toBe('gzip 4:1 (from 3:1)');
    expect(leverOf('compression', { compression: 4 }).monthly.alternativeUsd).toBeCloseTo(at(4), 9);
  });

  it.each([
    ['c7g', 'c7g.xlarge', 2 * HOURS * (0.17 - 0.145)],
    ['c8g', 'c8g.xlarge', 2 * HOURS * (0.17 - 0.159_52)],
    ['c5', 'c5.xlarge', 0],
  ] as const)(
    'instance family %s: two c5.xlarge nodes as %s save the hourly difference',
    (family, type, usd) => {
      const l = leverOf('instance family', { instanceFamily: family });
      expect(l.monthly.savingUsd).toBeCloseTo(usd, 9);
      expect(l.steadyState?.savingUsd).toBeCloseTo(usd, 9);
      expect(l.setting).toContain(family === 'c5' ? 'no c5 instance to move' : `${type} (from c5.xlarge)`);
      expect(l.note).toMatch(/arm64 AMIs/);
    },
  );

  it.each([
    ['c5.4xlarge', 'c7g', 'c7g.4xlarge'],
    ['c5.9xlarge', 'c8g', 'c8g.12xlarge'],
    ['c5.large', 'c5', 'c5.large'],
    ['t3.small', 'c7g', 't3.small'],
  ] as const)('maps %s in %s to %s', (from, family, to) => {
    expect(instanceTypeIn(from, family)).toBe(to);
  });

  it('rejects a c5 size without a Graviton size, naming it', () => {
    expect(() => instanceTypeIn('c5.18xlarge', 'c7g')).toThrow(CostModelError);
    expect(() => instanceTypeIn('c5.18xlarge', 'c7g')).toThrow('c5.18xlarge');
  });

  it('commitment: the rate off the instance hours and the Lambda duration, nothing else', () => {
    const duration = baseline.lines
      .filter((l) => l.item.startsWith('Lambda duration'))
      .reduce((sum, l) => sum + l.monthlyUsd, 0);
    expect(duration).toBeGreaterThan(0);
    const hours = 2 * HOURS * 0.17;
    expect(leverOf('commitment').monthly.savingUsd).toBeCloseTo(0.28 * (hours + duration), 9);
    expect(leverOf('commitment', { commitment: 0.1 }).monthly.savingUsd).toBeCloseTo(
      0.1 * (hours + duration),
      9,
    );
    expect(leverOf('commitment', { commitment: 0 }).monthly.savingUsd).toBe(0);
  });

  it('Kinesis on-demand: the stream-hours and the GB written cost more than 3 shards; provisioned wins', () => {
    const tier = capacityTier(inventory(SMALL_TEMPLATE));
    const s = streamFigures(tier, capacity);
    // 2 records/s of 500 events × 5,300 B ÷ 3: 883,334 B each.
    expect(s.recordsPerSec).toBeCloseTo(2, 9);
    const provisioned = 3 * HOURS * 0.015 + (2 * Math.ceil(s.recordBytes / 25_000) * SECONDS * 0.014) / 1e6;
    // No event source mapping, and Firehose is put to directly: no consumer reads the stream.
    const onDemand = HOURS * 0.04 + ((2 * Math.ceil(s.recordBytes / 1_024) * 1_024 * SECONDS) / 1e9) * 0.08;
    const l = leverOf('Kinesis on-demand');
    expect(l.monthly.savingUsd).toBeCloseTo(provisioned - onDemand, 6);
    expect(l.monthly.savingUsd).toBeLessThan(0);
    expect(l.setting).toBe(
      `on-demand (from provisioned shards): provisioned wins by ${usd(onDemand - provisioned)} a month`,
    );
  });

  it.each([
    [72, 48],
    [168, 144],
  ])(
    'Kinesis on-demand with %i h retention: prices the %i h held beyond 24 h per GB-month, where provisioned pays per shard-hour',
    (retentionHours, beyond) => {
      const kept = withStream({ ShardCount: 3, RetentionPeriodHours: retentionHours });
      const tier = capacityTier(inventory(kept));
      const s = streamFigures(tier, capacity);
      const written = Math.ceil(s.recordBytes / 1_024) * 1_024;
      const provisioned =
        3 * HOURS * (0.015 + 0.02) + (2 * Math.ceil(s.recordBytes / 25_000) * SECONDS * 0.014) / 1e6;
      const onDemand =
        HOURS * 0.04 + ((2 * written * SECONDS) / 1e9) * 0.08 + ((2 * written * beyond * 3_600) / 1e9) * 0.1;
      const l = leverOf('Kinesis on-demand', {}, kept);
      expect(l.monthly.savingUsd).toBeCloseTo(provisioned - onDemand, 6);
      expect(l.setting).toBe(
        `on-demand (from provisioned shards, ${retentionHours} h retention): provisioned wins by ${usd(onDemand - provisioned)} a month`,
      );
      expect(l.note).toContain('$0.10 per GB-month');
    },
  );

  it('rejects pricing on-demand retention beyond 7 days, naming the stream', () => {
    // The provisioned rule refuses it first: long-term retention is priced in neither mode.
    expect(() =>
      leverOf('Kinesis on-demand', {}, withStream({ ShardCount: 3, RetentionPeriodHours: 169 })),
    ).toThrow(CostModelError);
    const resources = inventory(withStream({ ShardCount: 3, RetentionPeriodHours: 169 }));
    expect(() => onDemandStreamLines(resources, load, prices)).toThrow(/Stream: .*beyond 7 days/);
  });

  it('retention by default: rows already at 90 days and bodies at 7 stay; the archive expires at a year', () => {
    const l = leverOf('retention');
    expect(l.setting).toBe('hot 2 d, warm 88 d, bodies 7 d, archive expiry 365 d (from 730 d)');
    // Nothing is older than a year in month 1.
    expect(l.monthly.savingUsd).toBeCloseTo(0, 9);
    // At steady state, a day's archive is no longer held in Deep Archive from day 365 to day 730.
    const f = firehoseFigures(capacityTier(inventory(SMALL_TEMPLATE)), capacity);
    const gbPerDay = (f.mibPerSec * 1_048_576 * 86_400) / 1e9;
    expect(l.steadyState?.savingUsd).toBeCloseTo(gbPerDay * (730 - 365) * 0.000_99, 6);
  });

  it('retention: fewer warm days cut the S3 disk; bodies never outlive their rows', () => {
    const shorter = leverOf('retention', { warmDays: 28, archiveExpireDays: 730 });
    expect(shorter.setting).toBe('hot 2 d, warm 28 d (from 88 d), bodies 7 d, archive expiry 730 d');
    expect(shorter.steadyState?.savingUsd).toBeGreaterThan(0);
    expect(leverOf('retention', { hotDays: 2, warmDays: 3, bodiesDays: 30 }).setting).toContain(
      'bodies 5 d (from 7 d)',
    );
    expect(leverOf('retention', { archiveExpireDays: 1_000 }).steadyState?.savingUsd).toBeLessThan(0);
  });

  describe('archive path', () => {
    const f = firehoseFigures(capacityTier(inventory(SMALL_TEMPLATE)), capacity);
    const gbPerDay = (f.mibPerSec * 1_048_576 * 86_400) / 1e9;
    const objectsPerMonth = f.objectsPerHour * 24 * (HOURS / 24);
    const TIER_PATH = 'Standard → Standard-IA at 30 d → Glacier Deep Archive at 90 d → expired at 730 d';

    it('by default goes straight to Deep Archive at 30 days: days 30–90 leave Standard-IA, and one transition fewer per object', () => {
      const l = leverOf('archive path');
      expect(l.setting).toBe(
        `Standard → Glacier Deep Archive at 30 d → expired at 730 d (from ${TIER_PATH})`,
      );
      // At steady state (month 25) every day's objects pass through both paths in full.
      expect(l.steadyState?.savingUsd).toBeCloseTo(
        gbPerDay * 60 * (0.0125 - 0.000_99) + (objectsPerMonth / 1_000) * 0.01,
        6,
      );
      expect(l.steadyState?.savingUsd).toBeGreaterThan(0);
      expect(l.note).toContain('older than 30 days reads Glacier Deep Archive: a restore first, within 12 h');
    });

    it('a flag given changes the tier’s own path: Glacier Instant Retrieval at 90 days costs more than Deep Archive', () => {
      const l = leverOf('archive path', { archiveClass: 'glacier-ir' });
      expect(l.setting).toBe(
        `Standard → Standard-IA at 30 d → Glacier Instant Retrieval at 90 d → expired at 730 d (from ${TIER_PATH})`,
      );
      expect(l.steadyState?.savingUsd).toBeCloseTo(
        gbPerDay * 640 * (0.000_99 - 0.004) + (objectsPerMonth / 1_000) * (0.05 - 0.02),
        6,
      );
      expect(leverOf('archive path', { archiveIaDays: null }).setting).toMatch(
        /^Standard → Glacier Deep Archive at 90 d → expired at 730 d \(from/,
      );
      expect(leverOf('archive path', { archiveColdDays: 120 }).steadyState?.savingUsd).toBeCloseTo(
        gbPerDay * 30 * (0.000_99 - 0.0125),
        6,
      );
    });

    it('the tier’s own path as the alternative saves nothing', () => {
      const l = leverOf('archive path', {
        archiveIaDays: 30,
        archiveColdDays: 90,
        archiveClass: 'deep-archive',
      });
      expect(l.monthly.savingUsd).toBeCloseTo(0, 9);
      expect(l.steadyState?.savingUsd).toBeCloseTo(0, 9);
    });

    it.each([
      [{ archiveIaDays: 20 }, '--archive-ia-days must be ≥ 30'],
      [{ archiveIaDays: 30, archiveColdDays: 59 }, '--archive-deep-days must be ≥ 60'],
      [
        { archiveColdDays: 551 },
        "--archive-deep-days must be ≤ 550: Glacier Deep Archive's 180-day minimum must end by the archive's expiry on day 730",
      ],
      [
        { archiveClass: 'glacier-flexible', archiveColdDays: 641 } as const,
        "--archive-deep-days must be ≤ 640: Glacier Flexible Retrieval's 90-day minimum",
      ],
    ] satisfies [LeverOptions, string][])('rejects %j, naming the flag', (options, message) => {
      expect(() => leverOf('archive path', options)).toThrow(CostModelError);
      expect(() => leverOf('archive path', options)).toThrow(message);
    });

    it('accepts the last day each minimum allows', () => {
      expect(() => leverOf('archive path', { archiveColdDays: 550 })).not.toThrow();
      expect(() =>
        leverOf('archive path', { archiveClass: 'glacier-flexible', archiveColdDays: 640 }),
      ).not.toThrow();
      expect(() => leverOf('archive path', { archiveIaDays: 30, archiveColdDays: 60 })).not.toThrow();
    });

    it('rejects a retention expiry before the tier’s Deep Archive minimum, naming --archive-expire-days', () => {
      expect(() => leverOf('retention', { archiveExpireDays: 269 })).toThrow(
        "--archive-expire-days must be ≥ 270: the archive's objects enter Glacier Deep Archive on day 90 and S3 bills its 180-day minimum, got 269",
      );
      expect(() => leverOf('retention', { archiveExpireDays: 270 })).not.toThrow();
    });
  });

  it('loader memory: half by default, its GB-seconds at the duration capacity gives that memory', () => {
    const resources = inventory(WITH_LOADER);
    const tier = capacityTier(resources);
    const gbSec = (memoryMiB: number) => {
      const f = loaderFigures({ ...tier, loader: { ...tier.loader, memoryMiB } }, capacity);
      const billedSec = Math.ceil(f.durationSec / 0.001 - 1e-9) * 0.001;
      return f.insertsPerSec * SECONDS * billedSec * (memoryMiB / 1_024) * 0.000_013_333_4;
    };
    expect(gbSec(1_024)).toBeGreaterThan(0);
    const l = leverOf('loader memory', {}, WITH_LOADER);
    expect(l.setting).toBe('512 MiB (from 1,024 MiB)');
    expect(l.monthly.savingUsd).toBeCloseTo(gbSec(1_024) - gbSec(512), 6);
    expect(leverOf('loader memory', { loaderMemoryMiB: 2_048 }, WITH_LOADER).monthly.savingUsd).toBeCloseTo(
      gbSec(1_024) - gbSec(2_048),
      6,
    );
  });

  it('has no loader memory lever without a loader', () => {
    expect(all.some((l) => l.lever === 'loader memory')).toBe(false);
  });
});
