import { describe, expect, it } from 'vitest';
import {
  againstLimit,
  type BenchFigure,
  type BenchMachine,
  benchReport,
  figureCells,
  formatFigureTable,
  formatInteger,
  formatNumber,
  formatQuantity,
  median,
  NONE,
  verdict,
} from '../../bench/figures.js';

const MACHINE: BenchMachine = { cores: 2, cpu: 'AMD EPYC', node: 'v20.20.2', platform: 'linux x64' };
const DATE = new Date('2026-11-27T01:33:00.000Z');

const validator = againstLimit(
  {
    benchmark: 'validator',
    figure: 'gzip NDJSON events/s, one core',
    value: 24_775.4,
    unit: 'events/s',
    target: { text: '>= 0.5 of the limit', met: true },
  },
  { name: 'bare gunzip + JSON.parse', value: 25_043, unit: 'events/s' },
);
const memory: BenchFigure = {
  benchmark: 'loader',
  figure: 'loader peak memory',
  value: 1_536,
  unit: 'MiB',
  target: { text: '< 1,024 MiB', met: false },
};
const info: BenchFigure = { benchmark: 'end-to-end', figure: 'freshness p50', value: 0.8712, unit: 's' };

describe('formatNumber', () => {
  it.each([
    [24_775.4, '24,775'],
    [1_234_567.8, '1,234,568'],
    [382.4, '382'],
    [100, '100'],
    [30.84, '30.8'],
    [10, '10.0'],
    [3.964, '3.96'],
    [1, '1.00'],
    [0.8612, '0.86'],
    [0.5, '0.50'],
    [0.02163, '0.022'],
    [0.001234, '0.0012'],
    [0, '0'],
    [-1_500, '-1,500'],
    [Number.NaN, 'n/a'],
    [Number.POSITIVE_INFINITY, 'n/a'],
  ])('%d is written %s', (n, text) => {
    expect(formatNumber(n)).toBe(text);
  });

  it('puts a symbol unit against its number and a word unit after a space', () => {
    expect(formatQuantity(1.7, '×')).toBe('1.70×');
    expect(formatQuantity(52.7, 'ms')).toBe('52.7 ms');
    expect(formatQuantity(7_872, 'rows/s')).toBe('7,872 rows/s');
  });
});

describe('againstLimit', () => {
  it('computes the ratio as value ÷ limit', () => {
    expect(validator.ratio).toBeCloseTo(24_775.4 / 25_043, 12);
    expect(validator.limit).toEqual({ name: 'bare gunzip + JSON.parse', value: 25_043, unit: 'events/s' });
    const slower = againstLimit(
      { benchmark: 'query', figure: 'rollup p95', value: 30.8, unit: 'ms' },
      { name: 'raw-table p95', value: 52.7, unit: 'ms' },
    );
    expect(slower.ratio).toBeCloseTo(0.5844, 4);
  });

  it.each([
    [0.7, 0.7, true],
    [0.69, 0.7, false],
  ])('judges a ratio of %d against a minimum ratio of %d (met: %s)', (ratio, minRatio, met) => {
    const figure = againstLimit(
      { benchmark: 'loader', figure: 'rows/s', value: ratio * 1_000, unit: 'rows/s' },
      { name: "the engine's own file() insert", value: 1_000, unit: 'rows/s' },
      minRatio,
    );
    expect(figure.target).toEqual({ text: `>= ${minRatio} of the limit`, met });
    expect(Object.keys(figure)).toEqual(['benchmark', 'figure', 'value', 'unit', 'limit', 'ratio', 'target']);
  });
});

describe('median, formatInteger and verdict', () => {
  it.each([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 3],
    [[5], 5],
    [[], 0],
  ])('takes the median of the rounds %j as %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('rounds and groups an integer, and words a verdict', () => {
    expect(formatInteger(24_775.5)).toBe('24,776');
    expect(verdict(true)).toBe('met');
    expect(verdict(false)).toBe('MISSED');
  });
});

describe('figureCells', () => {
  it('writes a figure with a limit, a ratio and a met target', () => {
    expect(figureCells(validator)).toEqual([
      'validator',
      'gzip NDJSON events/s, one core',
      '24,775 events/s',
      '25,043 events/s (bare gunzip + JSON.parse)',
      '0.99',
      '>= 0.5 of the limit',
      'met',
    ]);
  });

  it('shows a missed target as MISSED and a missing limit and ratio as —', () => {
    expect(figureCells(memory)).toEqual([
      'loader',
      'loader peak memory',
      '1,536 MiB',
      NONE,
      NONE,
      '< 1,024 MiB',
      'MISSED',
    ]);
  });

  it('shows a figure without a target with — for target and verdict', () => {
    expect(figureCells(info).slice(2)).toEqual(['0.87 s', NONE, NONE, NONE, NONE]);
  });

  it('writes a value that could not be measured as n/a', () => {
    expect(figureCells({ ...info, value: Number.NaN })[2]).toBe('n/a s');
  });
});

describe('formatFigureTable', () => {
  it('prints the machine line, then one aligned table with numbers right-aligned', () => {
    expect(formatFigureTable([validator, memory, info], MACHINE)).toBe(
      [
        'machine: 2 cores (AMD EPYC), node v20.20.2, linux x64',
        '',
        'benchmark   figure                                    value  limit                                       ratio  target               verdict',
        '----------  ------------------------------  ---------------  ------------------------------------------  -----  -------------------  -------',
        'validator   gzip NDJSON events/s, one core  24,775 events/s  25,043 events/s (bare gunzip + JSON.parse)   0.99  >= 0.5 of the limit  met',
        'loader      loader peak memory                    1,536 MiB  —                                               —  < 1,024 MiB          MISSED',
        'end-to-end  freshness p50                            0.87 s  —                                               —  —                    —',
      ].join('\n'),
    );
  });

  it('names the V8 flags the measured code ran with, when it had any', () => {
    const withFlags = { ...MACHINE, v8Flags: ['--no-allocation-site-pretenuring'] };
    expect(formatFigureTable([], withFlags).split('\n')[0]).toBe(
      'machine: 2 cores (AMD EPYC), node v20.20.2, linux x64, V8 --no-allocation-site-pretenuring',
    );
    expect(formatFigureTable([], { ...MACHINE, v8Flags: [] }).split('\n')[0]).toBe(
      'machine: 2 cores (AMD EPYC), node v20.20.2, linux x64',
    );
  });

  it('prints the head alone when there is nothing to show', () => {
    const lines = formatFigureTable([], MACHINE).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('benchmark  figure  value  limit  ratio  target  verdict');
  });
});

describe('benchReport', () => {
  it('is the date, the machine, the figures and whether every target was met', () => {
    const report = benchReport([validator, info], MACHINE, DATE);
    expect(report).toEqual({
      date: '2026-11-27T01:33:00.000Z',
      machine: MACHINE,
      figures: [validator, info],
      failed: [],
      allTargetsMet: true,
    });
    // What --json prints parses back to the same document.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('fails allTargetsMet on one missed target', () => {
    expect(benchReport([validator, memory, info], MACHINE, DATE).allTargetsMet).toBe(false);
  });

  it('fails allTargetsMet when a benchmark produced no figures', () => {
    const report = benchReport([validator], MACHINE, DATE, ['query']);
    expect(report.failed).toEqual(['query']);
    expect(report.allTargetsMet).toBe(false);
  });

  it('has every target met when no figure has a target', () => {
    expect(benchReport([info], MACHINE, DATE).allTargetsMet).toBe(true);
  });
});
