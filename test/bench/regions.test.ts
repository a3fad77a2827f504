import { describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../../bench/figures.js';
import { type RegionsBenchResult, regionsFigures, summariseLag } from '../../bench/regions.js';
import type { AckedEvent } from '../../local/region-client.js';

/** The regions benchmark's pure parts; the run itself (two npm start processes, an outage) is not started here. */

const probe = (traceId: string, ackedAt: number): AckedEvent => ({
  traceId,
  spanId: '0'.repeat(16),
  ackedAt,
  acceptedIn: 'us-east-1',
  probe: true,
});

const result = (p95Ms: number, neverSeen = 0): RegionsBenchResult => ({
  cores: 2,
  eventsPerSec: 200,
  acknowledgedEventsPerSec: 190,
  durationSec: 30,
  crossRegion: { probes: 100, neverSeen, p50Ms: 1_000, p95Ms, maxMs: p95Ms + 500 },
  sameRegion: { probes: 100, neverSeen: 0, p50Ms: 800, p95Ms: 1_500, maxMs: 2_000 },
  outageSec: 10,
  outageEvents: 2_000,
  restartSec: 7,
  recoverySec: 1.5,
});

describe('summariseLag', () => {
  it('measures each probe from its acknowledgement to when it was first seen, and counts those never seen', () => {
    const probes = [probe('a', 1_000), probe('b', 2_000), probe('c', 3_000), probe('d', 4_000)];
    const seen = new Map([
      ['a', 1_500],
      ['b', 3_000],
      ['c', 6_000],
    ]);
    expect(summariseLag(probes, seen)).toEqual({
      probes: 4,
      neverSeen: 1,
      p50Ms: 1_000,
      p95Ms: 3_000,
      maxMs: 3_000,
    });
  });

  it('has no lag figures without a probe seen', () => {
    const lag = summariseLag([probe('a', 1)], new Map());
    expect(lag.neverSeen).toBe(1);
    expect(lag.p95Ms).toBeNaN();
  });
});

describe('regionsFigures', () => {
  it('is a benchmark npm run bench runs', () => {
    expect(BENCHMARKS).toContain('regions');
  });

  it.each([
    ['meets the 5 s target at a p95 of 5 s', result(5_000), true],
    ['fails the target over 5 s', result(5_001), false],
    ['fails the target with a probe never seen', result(1_000, 1), false],
  ])('%s', (_, r, met) => {
    const p95 = regionsFigures(r).find((f) => f.figure.startsWith('cross-region lag p95 ('));
    expect(p95?.target?.met).toBe(met);
    // Read against the same-region freshness measured in the same run.
    expect(p95?.ratio).toBeCloseTo(r.crossRegion.p95Ms / r.sameRegion.p95Ms);
  });

  it('gives the p95 as a ratio to the 5 s target, and the time to recover', () => {
    const figures = regionsFigures(result(2_500));
    expect(figures.find((f) => f.unit === '×')?.value).toBe(0.5);
    expect(figures.find((f) => f.figure.startsWith('time to recover'))?.value).toBe(1.5);
  });
});
