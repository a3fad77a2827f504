import { describe, expect, it } from 'vitest';
import { BENCHMARKS, percentile } from '../../bench/figures.js';
import {
  CARRY_RULE,
  carriedViewers,
  errorCode,
  insertRatio,
  nodeEstimates,
  OVERVIEW_REQUESTS,
  type StepSamples,
  stepHolds,
  stopReason,
  summariseStep,
  type ViewerStep,
  type ViewersBenchResult,
  viewersFigures,
  viewersReport,
} from '../../bench/viewers.js';

/** The viewers benchmark's pure parts; the run itself (npm start, minutes of load) is not started here. */

const step = (over: Partial<ViewerStep> & Pick<ViewerStep, 'viewers'>): ViewerStep => ({
  durationSec: 35,
  requests: 0,
  requestsPerSec: 0,
  p50Ms: 20,
  p95Ms: 40,
  p99Ms: 60,
  failed: 0,
  statuses: {},
  acceptedPerSec: 1_000,
  loadedPerSec: 1_000,
  ...over,
});

const baseline = step({ viewers: 0, p50Ms: Number.NaN, p95Ms: Number.NaN, p99Ms: Number.NaN });

describe('OVERVIEW_REQUESTS', () => {
  it('is the overview page: summary, metrics and models over the last hour', () => {
    expect(OVERVIEW_REQUESTS).toEqual([
      '/v1/summary?window=1h',
      '/v1/metrics?window=1h',
      '/v1/models?window=1h',
    ]);
  });

  it('is registered as a benchmark', () => {
    expect(BENCHMARKS).toContain('viewers');
  });
});

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  it.each([
    [hundred, 0.5, 50],
    [hundred, 0.95, 95],
    [hundred, 0.99, 99],
    [hundred, 1, 100],
    [[7], 0.95, 7],
    [[3, 1, 2], 0.5, 2],
    [[10, 20], 0.95, 20],
  ])('%#: of %j at %d is %d', (values, q, expected) => {
    expect(percentile(values, q)).toBe(expected);
  });

  it('is NaN of no values', () => {
    expect(percentile([], 0.95)).toBeNaN();
  });

  it('leaves its input unsorted', () => {
    const values = [3, 1, 2];
    percentile(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summariseStep', () => {
  const samples: StepSamples = {
    viewers: 10,
    durationSec: 20,
    latenciesMs: Array.from({ length: 100 }, (_, i) => i + 1),
    statuses: { '200': 97, '503 throttled': 2, 'no answer': 1 },
    acceptedEvents: 20_000,
    loadedEvents: 19_000,
  };

  it('gives rates per second of the step, percentiles over every request and the failed ones', () => {
    expect(summariseStep(samples)).toEqual({
      viewers: 10,
      durationSec: 20,
      requests: 100,
      requestsPerSec: 5,
      p50Ms: 50,
      p95Ms: 95,
      p99Ms: 99,
      failed: 3,
      statuses: samples.statuses,
      acceptedPerSec: 1_000,
      loadedPerSec: 950,
    });
  });

  it('has NaN percentiles and no failures for the baseline, which sends no viewer request', () => {
    const s = summariseStep({ ...samples, viewers: 0, latenciesMs: [], statuses: {} });
    expect(s).toMatchObject({ requests: 0, requestsPerSec: 0, failed: 0 });
    expect(s.p95Ms).toBeNaN();
  });
});

describe('errorCode', () => {
  it.each([
    [
      '{"error":{"code":"throttled","message":"evalforge-query is at its concurrency limit (8)"}}',
      'throttled',
    ],
    ['{"error":{"code":"busy"}}', 'busy'],
    ['{"error":{}}', '?'],
    ['<html>bad gateway</html>', '?'],
  ])('reads %s as %s', (body, code) => {
    expect(errorCode(body)).toBe(code);
  });
});

describe('the carry rule', () => {
  it('states the rule: p95 within 250 ms, no failed request, 0.9 of the baseline loaded', () => {
    expect(CARRY_RULE).toEqual({ maxP95Ms: 250, minInsertRatio: 0.9, maxFailedRequests: 0 });
  });

  it.each([
    ['holds at the limits', step({ viewers: 50, p95Ms: 250, loadedPerSec: 900 }), true],
    ['fails over 250 ms p95', step({ viewers: 50, p95Ms: 251 }), false],
    ['fails with a failed request', step({ viewers: 50, failed: 1 }), false],
    ['fails under 0.9 of the baseline loaded', step({ viewers: 50, loadedPerSec: 899 }), false],
    ['fails for the baseline itself', baseline, false],
  ])('%s', (_, s, holds) => {
    expect(stepHolds(s, baseline)).toBe(holds);
  });

  it('reads the insert rate as loaded over the baseline loaded', () => {
    expect(insertRatio(step({ viewers: 10, loadedPerSec: 800 }), baseline)).toBe(0.8);
  });

  it.each([
    ['every step holds', [250, 100, 50, 40], 200],
    ['the largest steps fail', [40, 60, 300, 900], 50],
    ['the first step with viewers fails', [400, 60, 60, 60], 0],
    ['a step holding above a failed one is not counted', [40, 300, 60, 60], 10],
  ])('%s: carried %#', (_, p95s, carried) => {
    const steps = [
      baseline,
      ...[10, 50, 100, 200].map((viewers, i) => step({ viewers, p95Ms: p95s[i] ?? 0 })),
    ];
    expect(carriedViewers(steps)).toBe(carried);
  });

  it('counts none without a baseline or without a step with viewers', () => {
    expect(carriedViewers([])).toBe(0);
    expect(carriedViewers([baseline])).toBe(0);
  });

  it('stops after a step with p95 over 1 s or a failed request, and not before', () => {
    expect(stopReason(step({ viewers: 100, p95Ms: 999 }))).toBeUndefined();
    expect(stopReason(step({ viewers: 100, p95Ms: 1_200 }))).toBe('p95 1,200 ms is over 1,000 ms');
    expect(stopReason(step({ viewers: 100, failed: 4 }))).toBe('4 viewer requests failed');
  });
});

describe('nodeEstimates', () => {
  it('divides by the cores and multiplies by each tier node type’s vCPUs, each type once', () => {
    const { perCore, nodes } = nodeEstimates(100, 2);
    expect(perCore).toBe(50);
    expect(nodes).toEqual([
      { instanceType: 'c5.xlarge', vcpus: 4, viewers: 200 },
      { instanceType: 'c5.2xlarge', vcpus: 8, viewers: 400 },
      { instanceType: 'c5.4xlarge', vcpus: 16, viewers: 800 },
      { instanceType: 'c5.9xlarge', vcpus: 36, viewers: 1_800 },
    ]);
  });
});

describe('viewersFigures', () => {
  const result: ViewersBenchResult = {
    cores: 2,
    offeredEventsPerSec: 1_000,
    stepSec: 35,
    historyEvents: 150_000,
    historyMinutes: 90,
    historySec: 40,
    steps: [
      step({ viewers: 0, p95Ms: Number.NaN, loadedPerSec: 990 }),
      step({ viewers: 10, p95Ms: 30, p99Ms: 45, loadedPerSec: 980 }),
      step({ viewers: 50, p95Ms: 300, p99Ms: 500, loadedPerSec: 800, failed: 2 }),
    ],
    stoppedEarly: 'after 50 viewers: 2 viewer requests failed',
  };
  const figures = viewersFigures(result);
  const byName = (name: string) => figures.find((f) => f.figure === name);

  it('gives the baseline against the offered rate', () => {
    expect(byName('events loaded/s, no viewers (baseline)')).toMatchObject({
      value: 990,
      limit: { name: 'offered', value: 1_000 },
      ratio: 0.99,
    });
  });

  it('judges each step’s p95 against the target and its insert rate against the baseline', () => {
    expect(byName('query p95, 10 viewers')).toMatchObject({
      value: 30,
      limit: { value: 250, unit: 'ms' },
      ratio: 0.12,
      target: { text: '<= 250 ms', met: true },
    });
    expect(byName('query p95, 50 viewers')?.target?.met).toBe(false);
    expect(byName('events loaded/s, 10 viewers')).toMatchObject({
      limit: { name: 'loaded with no viewers', value: 990 },
      target: { text: '>= 0.9 of the limit', met: true },
    });
    expect(byName('events loaded/s, 50 viewers')?.target?.met).toBe(false);
    expect(byName('viewer requests failed, 50 viewers')).toMatchObject({ value: 2, target: { met: false } });
    expect(byName('query p99, 10 viewers')).toMatchObject({ value: 45, unit: 'ms' });
  });

  it('ends with the viewers carried and the per-core estimate, every figure of this benchmark', () => {
    expect(figures.slice(-2)).toEqual([
      { benchmark: 'viewers', figure: 'viewers carried, this machine (2 cores)', value: 10, unit: 'viewers' },
      { benchmark: 'viewers', figure: 'viewers carried per core (estimate)', value: 5, unit: 'viewers' },
    ]);
    expect(figures).toHaveLength(1 + 2 * 4 + 2);
    expect(figures.every((f) => f.benchmark === 'viewers')).toBe(true);
  });

  it('prints the steps, why they stopped, the decision and the arithmetic', () => {
    const text = viewersReport(result).join('\n');
    expect(text).toContain('stopped early: after 50 viewers: 2 viewer requests failed');
    expect(text).toContain('viewers carried: 10 on this machine');
    expect(text).toContain('10 / 2 cores = 5.00 viewers per core');
    expect(text).toContain('c5.xlarge (4 vCPU) ~20');
  });
});
