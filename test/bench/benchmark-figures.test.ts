import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DASHBOARD_TARGETS,
  type DashboardBenchResult,
  dashboardFigures,
  dashboardTargetsMet,
  type SizeResult,
  type WindowResult,
} from '../../bench/dashboard.js';
import { type BenchFigure, benchReport, figureCells } from '../../bench/figures.js';
import {
  gbSecondsPerMillionEvents,
  LOADER_TARGETS,
  type LoaderBenchResult,
  loaderFigures,
  printLoader,
} from '../../bench/loader.js';
import {
  PIPELINE_TARGETS,
  type PipelineBenchResult,
  pipelineFigures,
  printPipelineBench,
} from '../../bench/pipeline.js';
import {
  printValidator,
  VALIDATOR_TARGETS,
  type ValidatorBenchResult,
  validatorFigures,
} from '../../bench/validator.js';

/**
 * Each benchmark's figures: what they say, and that their targets give the same verdict as the
 * benchmark's own printout (or `dashboardTargetsMet`) on either side of every threshold.
 */

const MACHINE = { cores: 2, cpu: 'test', node: 'v20', platform: 'linux x64' };
const allMet = (figures: readonly BenchFigure[]) => benchReport(figures, MACHINE, new Date(0)).allTargetsMet;

beforeEach(() => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('validator figures', () => {
  const base: ValidatorBenchResult = {
    eventsPerRequest: 510,
    requestBytes: 945_000,
    eventBytes: 5_500,
    bareEventsPerSec: 25_043,
    validatorEventsPerSec: 24_775,
    ratio: 24_775 / 25_043,
    reencodeEventsPerSec: 5_026,
    jsonEventsPerSec: 7_147,
    contractChecksEventsPerSec: 300_000,
    contractChecksShare: 24_775 / 300_000,
  };
  const at = (validatorEventsPerSec: number, bareEventsPerSec: number): ValidatorBenchResult => ({
    ...base,
    validatorEventsPerSec,
    bareEventsPerSec,
    ratio: validatorEventsPerSec / bareEventsPerSec,
  });

  it('reports events/s against the bare limit with the ratio, and the per-core target', () => {
    const figures = validatorFigures(base);
    expect(figures.map(figureCells)).toEqual([
      [
        'validator',
        'gzip NDJSON events/s, one core',
        '24,775 events/s',
        '25,043 events/s (bare gunzip + JSON.parse)',
        '0.99',
        '>= 0.5 of the limit',
        'met',
      ],
      [
        'validator',
        'gzip NDJSON events/s per core',
        '24,775 events/s',
        '—',
        '—',
        '>= 25,000 events/s',
        'MISSED',
      ],
      ['validator', 'one bad event per request (re-encode)', '5,026 events/s', '—', '—', '—', '—'],
      ['validator', 'uncompressed {"events":[...]} requests', '7,147 events/s', '—', '—', '—', '—'],
      [
        'validator',
        'closed-contract checks, share of the time per event',
        '0.083×',
        '—',
        '—',
        '<= 0.1',
        'met',
      ],
    ]);
  });

  it.each([
    ['at the limit', 0.1, true],
    ['past it', 0.1001, false],
  ])('judges the closed-contract checks %s', (_, share, met) => {
    const r = { ...base, validatorEventsPerSec: 30_000, ratio: 1.2, contractChecksShare: share };
    expect(printValidator(r, () => {})).toBe(met);
    expect(allMet(validatorFigures(r))).toBe(met);
  });

  it.each([
    ['both met, at the thresholds', 25_000, 50_000, true],
    ['per core missed by one', 24_999, 30_000, false],
    ['ratio missed', 30_000, 60_001, false],
    ['both met with room', 40_000, 30_000, true],
  ])('judges %s as printValidator does', (_, validator, bare, met) => {
    const r = at(validator, bare);
    expect(printValidator(r, () => {})).toBe(met);
    expect(allMet(validatorFigures(r))).toBe(met);
  });

  it('takes its targets from VALIDATOR_TARGETS', () => {
    expect(VALIDATOR_TARGETS).toEqual({
      eventsPerSecPerCore: 25_000,
      ratioToBare: 0.5,
      contractChecksShareMax: 0.1,
    });
  });
});

describe('loader figures', () => {
  const base: LoaderBenchResult = {
    cores: 2,
    batchRecords: 4,
    batchEvents: 2_180,
    batchNdjsonBytes: 12_400_000,
    batchRecordBytes: 4_000_000,
    loaderRowsPerSec: 3_187,
    loaderMBPerSec: 18.1,
    engineRowsPerSec: 4_100,
    engineMBPerSec: 23.3,
    ratio: 3_187 / 4_100,
    fileRowsPerSec: 7_872,
    ratioToFile: 3_187 / 7_872,
    loaderPeakMiB: 382,
    processPeakRssMiB: 856,
    decodeCpuUsPerEvent: 45,
    waitUsPerEvent: 270,
    compression: [
      { codec: 'none', cpuUsPerEvent: 0, wireBytesPerEvent: 5_677 },
      { codec: 'gzip 1', cpuUsPerEvent: 75, wireBytesPerEvent: 2_083 },
      { codec: 'gzip 6', cpuUsPerEvent: 250, wireBytesPerEvent: 1_817 },
    ],
    chosenCodec: 'gzip 1',
    gbSeconds: [{ memoryMiB: 1_769, tiers: [2, 3, 4], gbSecondsPerMillionEvents: 673 }],
  };

  it("reports rows/s against the engine's own insert of the same statement, the file() path beside it, peak memory against 1 GiB, and the process RSS", () => {
    expect(loaderFigures(base).map(figureCells)).toEqual([
      [
        'loader',
        'rows/s, batches of 4 records (2,180 events)',
        '3,187 rows/s',
        "4,100 rows/s (the engine given the loader's own INSERT and rows)",
        '0.78',
        '>= 0.7 of the limit',
        'met',
      ],
      [
        'loader',
        'rows/s, against the engine reading a file',
        '3,187 rows/s',
        '7,872 rows/s (INSERT … SELECT FROM file() of the same NDJSON)',
        '0.40',
        '—',
        '—',
      ],
      ['loader', 'loader peak memory (V8 heap + buffers)', '382 MiB', '—', '—', '< 1,024 MiB', 'met'],
      ['loader', 'process peak RSS, engine included', '856 MiB', '—', '—', '—', '—'],
      ['loader', 'loader CPU decoding, per event', '45.0 µs', '—', '—', '—', '—'],
      ['loader', 'insert body none: CPU per event', '0 µs', '—', '—', '—', '—'],
      ['loader', 'insert body gzip 1: CPU per event', '75.0 µs', '—', '—', '—', '—'],
      ['loader', 'insert body gzip 6: CPU per event', '250 µs', '—', '—', '—', '—'],
      ['loader', 'insert body none: bytes per event on the wire', '5,677 bytes', '—', '—', '—', '—'],
      ['loader', 'insert body gzip 1: bytes per event on the wire', '2,083 bytes', '—', '—', '—', '—'],
      ['loader', 'insert body gzip 6: bytes per event on the wire', '1,817 bytes', '—', '—', '—', '—'],
      ['loader', 'Lambda GB-s per million events, 1,769 MiB, gzip 1', '673 GB-s', '—', '—', '—', '—'],
    ]);
  });

  it.each([
    ['one vCPU: CPU and waiting as they are', 1_769, 120e-6, 270e-6, (1_769 / 1024) * 390],
    [
      'half a vCPU: the CPU takes twice as long, the waiting does not',
      884.5,
      120e-6,
      270e-6,
      (884.5 / 1024) * 510,
    ],
    ['above one vCPU: no faster', 3_538, 120e-6, 0, (3_538 / 1024) * 120],
  ])('counts Lambda GB-s per million events at %s', (_, memoryMiB, cpu, wait, expected) => {
    expect(gbSecondsPerMillionEvents(memoryMiB, cpu, wait)).toBeCloseTo(expected, 6);
  });

  it.each([
    ['ratio at the threshold', 7_000, 1_023.9, true],
    ['ratio just under', 6_999, 100, false],
    ['memory at exactly 1 GiB', 9_000, 1_024, false],
    ['both missed', 4_000, 2_000, false],
  ])('judges %s as printLoader does', (_, loaderRowsPerSec, loaderPeakMiB, met) => {
    // Against an engine at 10,000 rows/s, as the benchmark computes the ratio.
    const engineRowsPerSec = 10_000;
    const ratio = loaderRowsPerSec / engineRowsPerSec;
    const r = { ...base, loaderRowsPerSec, engineRowsPerSec, ratio, loaderPeakMiB };
    expect(printLoader(r)).toBe(met);
    expect(allMet(loaderFigures(r))).toBe(met);
  });

  it('takes its targets from LOADER_TARGETS', () => {
    expect(LOADER_TARGETS).toEqual({ ratioToEngine: 0.7, peakMiB: 1024 });
  });
});

describe('end-to-end figures', () => {
  const base: PipelineBenchResult = {
    cores: 2,
    offeredEventsPerSec: 10_000,
    durationSec: 60,
    eventsPerRequest: 500,
    requestBytes: 927_000,
    acceptedEventsPerSec: 2_266,
    statusCounts: { 200: 272, 503: 926 },
    latencyP50Ms: 1_743,
    latencyP99Ms: 9_822,
    latencyMaxMs: 12_000,
    freshnessP50Ms: 11_100,
    freshnessP95Ms: 37_500,
    probes: 60,
    probesAccepted: 40,
    probesNeverSeen: 0,
    drainSec: 17.7,
    refusedEvents: 120,
    lostEvents: 0,
    duplicatedEvents: 0,
    rssAt10sMiB: 1_027,
    rssAtEndMiB: 1_536,
    peakRssMiB: 2_042,
  };

  it('reports accepted against offered, latency and freshness against their targets, and memory', () => {
    expect(pipelineFigures(base).map(figureCells)).toEqual([
      [
        'end-to-end',
        'acknowledged events/s, 60 s offered, to the last answer',
        '2,266 events/s',
        '10,000 events/s (offered)',
        '0.23',
        '>= 10,000 events/s',
        'MISSED',
      ],
      ['end-to-end', 'ingest latency p50', '1,743 ms', '—', '—', '—', '—'],
      ['end-to-end', 'ingest latency p99', '9,822 ms', '—', '—', '<= 100 ms', 'MISSED'],
      ['end-to-end', 'freshness p50 (ack to queryable)', '11.1 s', '—', '—', '—', '—'],
      ['end-to-end', 'freshness p95 (ack to queryable)', '37.5 s', '—', '—', '<= 5 s', 'MISSED'],
      ['end-to-end', 'backlog drained after the last answer', '17.7 s', '—', '—', '—', '—'],
      ['end-to-end', 'acknowledged events lost in ClickHouse', '0 events', '—', '—', '0', 'met'],
      ['end-to-end', 'events stored more than once', '0 events', '—', '—', '0', 'met'],
      ['end-to-end', 'peak RSS of npm start, engine included', '2,042 MiB', '—', '—', '—', '—'],
    ]);
  });

  const met: PipelineBenchResult = {
    ...base,
    acceptedEventsPerSec: 10_000,
    latencyP99Ms: 100,
    freshnessP95Ms: 5_000,
  };
  it.each([
    ['every target at its threshold', met, true],
    ['accepted one short', { ...met, acceptedEventsPerSec: 9_999.9 }, false],
    ['p99 over by a hair', { ...met, latencyP99Ms: 100.01 }, false],
    ['freshness over', { ...met, freshnessP95Ms: 5_001 }, false],
    ['no freshness sample at all (NaN)', { ...met, freshnessP95Ms: Number.NaN }, false],
    ['one acknowledged event lost', { ...met, lostEvents: 1 }, false],
    ['one event stored twice', { ...met, duplicatedEvents: 1 }, false],
    ['no verification (NaN)', { ...met, lostEvents: Number.NaN }, false],
  ])('judges %s as printPipelineBench does', (_, r, expected) => {
    expect(printPipelineBench(r)).toBe(expected);
    expect(allMet(pipelineFigures(r))).toBe(expected);
  });

  it('takes its targets from PIPELINE_TARGETS', () => {
    expect(PIPELINE_TARGETS).toEqual({
      acceptedEventsPerSec: 10_000,
      ingestP99Ms: 100,
      freshnessP95Ms: 5_000,
    });
  });
});

describe('query (dashboard) figures', () => {
  const window = (
    spec: Pick<WindowResult, 'window' | 'bucket' | 'rollupQuery' | 'rollupTable' | 'headline'>,
    rollupP95: number,
    rawP95: number,
  ): WindowResult => {
    const ratio = rawP95 / rollupP95;
    return {
      ...spec,
      projectId: 'bench-acme',
      from: '2026-11-26T00:00:00.000Z',
      to: '2026-11-27T00:00:00.000Z',
      groups: 360,
      requests: 1_000,
      errors: 20,
      rollup: { p50Ms: rollupP95 / 2, p95Ms: rollupP95, rowsToRead: null },
      raw: { p50Ms: rawP95 / 2, p95Ms: rawP95, rowsToRead: null },
      ratio,
      rollupTargetMet: spec.headline ? rollupP95 <= DASHBOARD_TARGETS.rollupP95MaxMs : null,
      ratioTargetMet: spec.headline ? ratio >= DASHBOARD_TARGETS.rawToRollupMinRatio : null,
    };
  };
  const size = (rows: number, headlineRollup: number, headlineRaw: number): SizeResult => ({
    rows,
    insertedRows: rows,
    insertSeconds: 1,
    insertRowsPerSec: rows,
    insertStatements: 1,
    newestEvent: '2026-11-27T00:30:00.000Z',
    mergeWaitSeconds: 0,
    mergesRunning: 0,
    eventsParts: 1,
    minuteRollupParts: 1,
    minuteRollupRows: 1,
    hourRollupParts: 1,
    hourRollupRows: 1,
    biggestProjectShare: 0.4,
    queryFloor: { p50Ms: 3, p95Ms: 3.5 },
    windows: [
      window(
        {
          window: '1h',
          bucket: 'minute',
          rollupQuery: 'minuteStats',
          rollupTable: 'events_minute',
          headline: true,
        },
        headlineRollup,
        headlineRaw,
      ),
      window(
        {
          window: '24h',
          bucket: 'hour',
          rollupQuery: 'hourStats',
          rollupTable: 'events_hour',
          headline: false,
        },
        31,
        449.8,
      ),
      window(
        {
          window: '7d',
          bucket: 'hour',
          rollupQuery: 'hourStats',
          rollupTable: 'events_hour',
          headline: false,
        },
        82.6,
        3_820.5,
      ),
    ],
  });
  const result = (sizes: SizeResult[]): DashboardBenchResult => ({
    benchmark: 'dashboard',
    startedAt: '2026-11-27T01:36:00.000Z',
    node: 'v20',
    engine: 'chDB embedded, ClickHouse 26.7',
    cores: 2,
    cpuModel: 'test',
    runs: 20,
    targets: DASHBOARD_TARGETS,
    dataFrom: '2026-11-20T00:00:00.000Z',
    dataTo: '2026-11-27T00:30:00.000Z',
    windowEnd: '2026-11-27T00:00:00.000Z',
    sizes,
    maxRssKiB: 2.45 * 1024 * 1024,
    totalSeconds: 360,
  });

  it('reports each window as rollup p95 against raw p95, the headline speed-up, and the peak RSS', () => {
    const figures = dashboardFigures(result([size(10_000_000, 20.3, 18.1), size(100_000_000, 30.8, 52.7)]));
    expect(figures.map(figureCells)).toEqual([
      [
        'query',
        '1h per minute (headline), 10M events: rollup p95',
        '20.3 ms',
        '18.1 ms (raw-table p95)',
        '1.12',
        '—',
        '—',
      ],
      ['query', '1h per minute (headline), 10M events: raw ÷ rollup p95', '0.89×', '—', '—', '—', '—'],
      [
        'query',
        '24h per hour, 10M events: rollup p95',
        '31.0 ms',
        '450 ms (raw-table p95)',
        '0.069',
        '—',
        '—',
      ],
      [
        'query',
        '7d per hour, 10M events: rollup p95',
        '82.6 ms',
        '3,821 ms (raw-table p95)',
        '0.022',
        '—',
        '—',
      ],
      [
        'query',
        '1h per minute (headline), 100M events: rollup p95',
        '30.8 ms',
        '52.7 ms (raw-table p95)',
        '0.58',
        '<= 50 ms',
        'met',
      ],
      [
        'query',
        '1h per minute (headline), 100M events: raw ÷ rollup p95',
        '1.71×',
        '—',
        '—',
        '>= 20×',
        'MISSED',
      ],
      [
        'query',
        '24h per hour, 100M events: rollup p95',
        '31.0 ms',
        '450 ms (raw-table p95)',
        '0.069',
        '—',
        '—',
      ],
      [
        'query',
        '7d per hour, 100M events: rollup p95',
        '82.6 ms',
        '3,821 ms (raw-table p95)',
        '0.022',
        '—',
        '—',
      ],
      ['query', 'peak RSS, engine included', '2,509 MiB', '—', '—', '—', '—'],
    ]);
  });

  it.each([
    ['only sizes under 100M (targets are information there)', [size(10_000_000, 80, 90)], true],
    ['both headline targets met at 100M', [size(100_000_000, 2, 50)], true],
    ['the ratio missed at 100M', [size(100_000_000, 30.8, 52.7)], false],
    ['the rollup over 50 ms at 100M', [size(100_000_000, 50.1, 5_000)], false],
    ['met at 100M, missed at 200M', [size(100_000_000, 2, 50), size(200_000_000, 60, 50)], false],
  ])('judges %s as dashboardTargetsMet does', (_, sizes, met) => {
    const r = result(sizes);
    expect(dashboardTargetsMet(r)).toBe(met);
    expect(allMet(dashboardFigures(r))).toBe(met);
  });
});
