import { describe, expect, it } from 'vitest';
import { compressionFigures, printCompression } from '../../bench/compression.js';
import type { CompressionMeasurement, LevelCompression } from '../../lib/workloads/compression.js';

const level = (l: 1 | 6, ratio: number): LevelCompression => ({
  level: l,
  batch: { bytesPerEvent: 5_000 / ratio, ratio },
  object: { bytesPerEvent: 5_000 / ratio + 0.3, ratio: ratio * 0.999 },
  wholeObject: { bytesPerEvent: 5_000 / ratio - 1, ratio: ratio * 1.001 },
});

const measurement: CompressionMeasurement = {
  eventsPerBatch: 500,
  zstd: 'not in this runtime',
  workloads: [
    {
      workload: 'unique',
      batches: 2,
      events: 1_000,
      eventBytes: 5_000,
      levels: [level(1, 2.5), level(6, 3)],
    },
    {
      workload: 'sessions',
      batches: 4,
      events: 2_000,
      eventBytes: 5_000,
      levels: [level(1, 4), level(6, 4.5)],
    },
  ],
};

describe('the compression benchmark', () => {
  it('reads each sessions ratio against the unique one at the same level and place', () => {
    const figures = compressionFigures(measurement);
    expect(figures).toHaveLength(12);
    const sessions6 = figures.find((f) => f.figure === 'sessions: gzip 6 ratio, per request batch');
    expect(sessions6).toMatchObject({ benchmark: 'compression', value: 4.5, unit: '×', limit: { value: 3 } });
    expect(sessions6?.ratio).toBeCloseTo(1.5, 9);
    const unique1 = figures.find((f) => f.figure === 'unique: gzip 1 ratio, per request batch');
    expect(unique1).toEqual({
      benchmark: 'compression',
      figure: 'unique: gzip 1 ratio, per request batch',
      value: 2.5,
      unit: '×',
    });
    expect(figures.every((f) => f.target === undefined)).toBe(true);
  });

  it('prints a row per workload and level, the cores and zstd', () => {
    const lines: string[] = [];
    printCompression(measurement, (line) => lines.push(line));
    const text = lines.join('\n');
    expect(text).toMatch(/machine of \d+ cores/);
    expect(text).toMatch(/sessions +6 +5,000 +1,111 B 4\.50×/);
    expect(text).toContain('zstd: not in this runtime');
  });
});
