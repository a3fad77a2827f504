import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/flags.js';
import {
  CHART_PATH,
  COST_USAGE,
  costReports,
  main,
  parseCostArgs,
  REPORT_PATH,
  renderFiles,
} from '../../../lib/pricing/cost-cli.js';
import type { TemplateJson } from '../../../lib/pricing/inventory.js';
import type { TierReport } from '../../../lib/pricing/report.js';
import { TIER_IDS, type TierId } from '../../../lib/tiers.js';
import { tierTemplateJson } from '../../helpers/tier-templates.js';

let reports: TierReport[];
let files: ReturnType<typeof renderFiles>;
/** The run's shared tier templates (test/helpers/tier-templates.ts), for every report and command below. */
const templates = new Map<TierId, TemplateJson>();
const templateOf = (tier: TierId) => templates.get(tier) as TemplateJson;
beforeAll(async () => {
  for (const tier of TIER_IDS) templates.set(tier, await tierTemplateJson(tier));
  reports = costReports({}, templateOf);
  files = renderFiles(templateOf);
}, 240_000);

describe('the report', () => {
  it('covers the four tiers at their ceilings', () => {
    expect(reports.map((r) => [r.tier, r.load.eventsPerSec])).toEqual([
      [1, 1_000],
      [2, 10_000],
      [3, 50_000],
      [4, 200_000],
    ]);
  });

  it.each(TIER_IDS)('totals tier %i as the sum of its lines and of its components', (tier) => {
    const r = reports[tier - 1] as TierReport;
    expect(r.totalUsd).toBeCloseTo(
      r.lines.reduce((sum, line) => sum + line.monthlyUsd, 0),
      6,
    );
    expect(r.totalUsd).toBeCloseTo(
      r.components.reduce((sum, c) => sum + c.monthlyUsd, 0),
      6,
    );
    expect(r.projection[0]?.totalUsd).toBeCloseTo(r.totalUsd, 6);
    expect(r.month12Usd).toBe(r.projection[11]?.totalUsd);
  });

  it.each(TIER_IDS)(
    'prices tier %i at both workloads measured in the run, the headline staying at 3:1',
    (tier) => {
      const r = reports[tier - 1] as TierReport;
      expect(r.load.gzipRatio).toBe(3);
      const [unique, sessions] = r.workloads;
      expect(r.workloads.map((w) => w.name)).toEqual(['unique', 'sessions']);
      expect(unique?.gzipRatio).toBeGreaterThan(2.7);
      expect(unique?.gzipRatio).toBeLessThan(3.3);
      expect(sessions?.gzipRatio).toBeGreaterThan((unique?.gzipRatio ?? 0) * 1.2);
      expect(sessions?.bytesPerEvent).toBeLessThan(unique?.bytesPerEvent ?? 0);
      expect(sessions?.monthlyUsd).toBeLessThan(unique?.monthlyUsd ?? 0);
      expect(sessions?.steadyStateUsd).toBeLessThan(unique?.steadyStateUsd ?? 0);
    },
  );

  it("explains tier 1's design-document figure against the list price of the instances it names", () => {
    const text = reports[0]?.designDoc.explanation ?? '';
    expect(text).toContain('$129.79');
    expect(text).toContain('below the list price');
    expect(text).toContain('Firehose ingestion');
  });
});

describe('the committed files', () => {
  it('docs/cost-report.md is what the CLI renders now', () => {
    expect(readFileSync(REPORT_PATH, 'utf8')).toBe(files.markdown);
  });

  it('docs/cost-chart.svg is what the CLI renders now', () => {
    expect(readFileSync(CHART_PATH, 'utf8')).toBe(files.svg);
  });

  it("the README's cost table is what the CLI renders now", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.split(/^## Cost report$/m)[1]?.split(/^## /m)[0] ?? '';
    const cells = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.trim().startsWith('|'))
        .map((line) =>
          line
            .trim()
            .replace(/^\||\|$/g, '')
            .split('|')
            .map((cell) => cell.trim().replace(/^:?-+:?$/, '---')),
        );
    expect(cells(section).length).toBeGreaterThan(0);
    expect(cells(section)).toEqual(cells(files.readmeTable));
  });
});

describe('the command line', () => {
  it('reads every flag', () => {
    expect(
      parseCostArgs([
        '--tier',
        '3',
        '--events-per-sec',
        '20000',
        '--event-kb',
        '2.6',
        '--compression',
        '5',
        '--batch',
        '100',
        '--months',
        '24',
        '--json',
        '--no-write',
      ]),
    ).toEqual({
      tier: 3,
      eventsPerSec: 20_000,
      eventKb: 2.6,
      compression: 5,
      batch: 100,
      months: 24,
      json: true,
      write: false,
      readmeTable: false,
      levers: { compression: 5 },
    });
    expect(parseCostArgs([])).toEqual({ months: 12, json: false, write: true, readmeTable: false });
  });

  it("reads the levers' flags", () => {
    expect(
      parseCostArgs([
        '--hot-days',
        '3',
        '--warm-days',
        '27',
        '--bodies-days',
        '2',
        '--archive-expire-days',
        '400',
        '--archive-ia-days',
        '45',
        '--archive-deep-days',
        '100',
        '--archive-class',
        'glacier-flexible',
        '--instance-family',
        'c8g',
        '--commitment',
        '0.3',
        '--loader-memory',
        '512',
      ]).levers,
    ).toEqual({
      hotDays: 3,
      warmDays: 27,
      bodiesDays: 2,
      archiveExpireDays: 400,
      archiveIaDays: 45,
      archiveColdDays: 100,
      archiveClass: 'glacier-flexible',
      instanceFamily: 'c8g',
      commitment: 0.3,
      loaderMemoryMiB: 512,
    });
  });

  it.each([
    [['--archive-ia-days', 'none'], { archiveIaDays: null }],
    [['--archive-ia-days', 'none', '--archive-deep-days', '0'], { archiveIaDays: null, archiveColdDays: 0 }],
    [['--archive-deep-days', '550'], { archiveColdDays: 550 }],
    [
      ['--archive-class', 'glacier-ir', '--archive-deep-days', '640'],
      { archiveClass: 'glacier-ir', archiveColdDays: 640 },
    ],
    [['--archive-expire-days', '270'], { archiveExpireDays: 270 }],
  ])('accepts the archive path %j where S3 allows it', (argv, levers) => {
    expect(parseCostArgs(argv).levers).toEqual(levers);
  });

  it.each([
    [['--tier', '5'], '--tier'],
    [['--tier', '02'], '--tier'],
    [['--events-per-sec', '0'], '--events-per-sec'],
    [['--events-per-sec', 'lots'], '--events-per-sec'],
    [['--event-kb', '-1'], '--event-kb'],
    [['--compression', '0.5'], '--compression'],
    [['--batch', '2.5'], '--batch'],
    [['--months', '0'], '--months'],
    [['--months', '1e3'], '--months'],
    [['--bogus'], '--bogus'],
    [['--tier'], '--tier'],
    [['--hot-days', '1.5'], '--hot-days'],
    [['--warm-days', '-1'], '--warm-days'],
    [['--bodies-days', 'week'], '--bodies-days'],
    [['--archive-expire-days', '0'], '--archive-expire-days'],
    [['--archive-ia-days', '29'], '--archive-ia-days'],
    [['--archive-ia-days', 'never'], '--archive-ia-days'],
    [['--archive-deep-days', '-1'], '--archive-deep-days'],
    [['--archive-class', 'glacier'], '--archive-class'],
    // Each tier's own path: Standard-IA at 30 d, Deep Archive at 90 d, expired at 730 d.
    [['--archive-deep-days', '59'], '--archive-deep-days must be ≥ 60'],
    [['--archive-ia-days', '70'], '--archive-deep-days must be ≥ 100'],
    [['--archive-deep-days', '551'], '--archive-deep-days must be ≤ 550'],
    [['--archive-class', 'glacier-ir', '--archive-deep-days', '641'], '--archive-deep-days must be ≤ 640'],
    [
      ['--tier', '2', '--archive-expire-days', '269'],
      "--archive-expire-days must be ≥ 270: the archive's objects enter Glacier Deep Archive on day 90 and S3 bills its 180-day minimum, got 269 (tier 2's archive path)",
    ],
    [['--instance-family', 'm5'], '--instance-family'],
    [['--commitment', '1'], '--commitment'],
    [['--loader-memory', '64'], '--loader-memory'],
    [['--loader-memory', '20000'], '--loader-memory'],
  ])('rejects %j, naming %s', (argv, flag) => {
    expect(() => parseCostArgs(argv)).toThrow(UsageError);
    expect(() => parseCostArgs(argv)).toThrow(flag);
  });

  it('fails with exit code 2 on a bad flag', () => {
    const stderr = process.stderr.write;
    let message = '';
    process.stderr.write = ((chunk: string) => {
      message += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(main(['--batch', 'none'])).toBe(2);
    } finally {
      process.stderr.write = stderr;
    }
    expect(message).toContain('--batch');
  });

  it.each([['--help'], ['-h'], ['--tier', '2', '--help']])(
    'prints its usage for %j and exits 0, writing no file',
    (...argv) => {
      let out = '';
      expect(main(argv, (t) => (out += t))).toBe(0);
      expect(out).toBe(COST_USAGE);
      for (const flag of [
        '--tier',
        '--compression',
        '--hot-days',
        '--archive-ia-days',
        '--archive-deep-days',
        '--archive-class',
        '--commitment',
        '--json',
        '--no-write',
      ]) {
        expect(out).toContain(flag);
      }
    },
  );

  it('prints JSON that parses, one tier at the load the flags give', () => {
    let out = '';
    expect(
      main(
        ['--json', '--no-write', '--tier', '2', '--events-per-sec', '5000', '--months', '3'],
        (t) => {
          out += t;
        },
        templateOf,
      ),
    ).toBe(0);
    const parsed = JSON.parse(out) as { region: string; tiers: TierReport[] };
    expect(parsed.region).toBe('us-east-1');
    expect(parsed.tiers).toHaveLength(1);
    const [tier] = parsed.tiers;
    expect(tier).toMatchObject({ tier: 2, load: { eventsPerSec: 5_000, eventsPerRequest: 500 } });
    expect(Object.keys(tier ?? {}).sort()).toEqual(
      [
        'components',
        'designDoc',
        'floor',
        'levers',
        'lines',
        'load',
        'month12Usd',
        'name',
        'perMillionUsd',
        'projection',
        'steadyStateHorizonDays',
        'steadyStateMonth',
        'steadyStateUsd',
        'tier',
        'totalUsd',
        'volumes',
        'workloads',
      ].sort(),
    );
    expect(tier?.workloads.map((w) => Object.keys(w).sort())).toEqual(
      ['unique', 'sessions'].map(() =>
        ['bytesPerEvent', 'gzipRatio', 'monthlyUsd', 'name', 'steadyStateMonth', 'steadyStateUsd'].sort(),
      ),
    );
    expect(tier?.floor.points.map((p) => [p.gzipRatio, p.load.eventsPerSec])).toEqual([
      [3, 5_000],
      [5, 5_000],
    ]);
    expect(tier?.projection).toHaveLength(3);
    expect(tier?.levers.map((l) => l.lever)).toEqual([
      'compression',
      'retention',
      'archive path',
      'instance family',
      'commitment',
      'Kinesis on-demand',
      'loader memory',
    ]);
    for (const l of tier?.levers ?? []) {
      expect(Object.keys(l).sort()).toEqual(['lever', 'monthly', 'note', 'setting', 'steadyState']);
      expect(l.monthly.savingUsd).toBeCloseTo(l.monthly.baselineUsd - l.monthly.alternativeUsd, 6);
      expect(l.monthly.baselineUsd).toBeCloseTo(tier?.totalUsd ?? Number.NaN, 6);
    }
    expect(tier?.designDoc.usd).toBe(980);
    expect(tier?.totalUsd).toBeCloseTo(
      tier?.lines.reduce((sum, l) => sum + l.monthlyUsd, 0) ?? Number.NaN,
      6,
    );
  });

  it("gives in JSON each tier's steady-state month and total, and its volumes' lines at month 1 and at steady state", () => {
    let out = '';
    expect(main(['--json', '--no-write'], (t) => (out += t), templateOf)).toBe(0);
    const parsed = JSON.parse(out) as { tiers: TierReport[] };
    for (const tier of parsed.tiers) {
      // Every tier's archive expires at 730 days, the longest horizon: 730 ÷ 30.4167 = 24 months.
      expect(tier).toMatchObject({ steadyStateMonth: 25, steadyStateHorizonDays: 730 });
      expect(tier.steadyStateUsd).toBeGreaterThan(tier.month12Usd ?? Number.POSITIVE_INFINITY);
      expect(tier.volumes.map((v) => v.volume)).toEqual(['hot', 'warm', 'archive']);
      for (const v of tier.volumes) {
        expect(v).toEqual({
          volume: v.volume,
          holds: expect.any(String),
          month1: { monthlyUsd: expect.any(Number), lines: expect.any(Array) },
          steadyState: { monthlyUsd: expect.any(Number), lines: expect.any(Array) },
        });
        expect(v.month1.lines[0]).toEqual(
          expect.objectContaining({
            item: expect.any(String),
            formula: expect.any(String),
            monthlyUsd: expect.any(Number),
          }),
        );
      }
      const [hot, warm, archive] = tier.volumes;
      expect(hot?.month1.lines.map((l) => l.item)).toContain('EBS gp3 storage');
      expect(warm?.steadyState?.lines.map((l) => l.item)).toEqual(
        expect.arrayContaining(['S3 disk storage (S3 Standard)', 'S3 disk PUTs', 'S3 disk GETs']),
      );
      expect(archive?.steadyState?.lines.map((l) => l.item)).toContain('S3 Glacier Deep Archive storage');
    }
  });

  it("prints the README's table with --readme-table, whatever the other flags", () => {
    let out = '';
    expect(
      main(
        ['--readme-table', '--tier', '2'],
        (t) => {
          out += t;
        },
        templateOf,
      ),
    ).toBe(0);
    expect(out).toBe(`${files.readmeTable}\n`);
  });

  it('prints the component table, the total, the cost per million and the design document', () => {
    let out = '';
    main(
      ['--no-write', '--tier', '1'],
      (t) => {
        out += t;
      },
      templateOf,
    );
    expect(out).toMatch(/component +monthly USD/);
    expect(out).toContain('total, month 1:');
    expect(out).toContain('per million events:');
    expect(out).toContain('design document:          $98');
  });
});
