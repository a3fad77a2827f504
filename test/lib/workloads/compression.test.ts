import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CompressionMeasurement,
  compressionAt,
  GZIP_LEVELS,
  measureCompression,
  WORKLOADS,
} from '../../../lib/workloads/compression.js';

let m: CompressionMeasurement;
beforeAll(() => {
  // Smaller than the default sample: the relations hold on it, and the file stays fast.
  m = measureCompression({ eventsPerBatch: 200, batches: { unique: 1, sessions: 4 } });
});

describe('measureCompression', () => {
  it('measures both workloads at gzip 1 and 6, and names zstd as absent from Node 20', () => {
    expect(m.workloads.map((w) => [w.workload, w.events, w.levels.map((l) => l.level)])).toEqual([
      ['unique', 200, [...GZIP_LEVELS]],
      ['sessions', 800, [...GZIP_LEVELS]],
    ]);
    if (process.versions.node.startsWith('20.')) expect(m.zstd).toBe('not in this runtime');
  });

  it.each(WORKLOADS)('compresses %s: ratios above 1, level 6 at least level 1', (workload) => {
    const l1 = compressionAt(m, workload, 1);
    const l6 = compressionAt(m, workload, 6);
    for (const l of [l1, l6])
      for (const c of [l.batch, l.object, l.wholeObject]) {
        expect(c.ratio).toBeGreaterThan(1);
        expect(c.bytesPerEvent * c.ratio).toBeCloseTo(l.eventBytes, 6);
      }
    expect(l6.batch.ratio).toBeGreaterThanOrEqual(l1.batch.ratio);
    // An object carries the records' header members on top of the bodies.
    expect(l6.object.bytesPerEvent).toBeGreaterThan(l6.batch.bytesPerEvent);
    expect(l6.object.bytesPerEvent - l6.batch.bytesPerEvent).toBeLessThan(1);
  });

  it('finds the sessions compress better than unique text, unique near the sizing’s 3:1', () => {
    for (const level of GZIP_LEVELS)
      expect(compressionAt(m, 'sessions', level).batch.ratio).toBeGreaterThan(
        compressionAt(m, 'unique', level).batch.ratio * 1.2,
      );
    expect(compressionAt(m, 'unique', 6).batch.ratio).toBeGreaterThan(2.7);
    expect(compressionAt(m, 'unique', 6).batch.ratio).toBeLessThan(3.3);
  });

  it('repeats for the same options', () => {
    expect(measureCompression({ eventsPerBatch: 50, batches: { unique: 1, sessions: 2 } })).toEqual(
      measureCompression({ eventsPerBatch: 50, batches: { unique: 1, sessions: 2 } }),
    );
  });

  it('fails on a workload or level it did not measure', () => {
    expect(() => compressionAt({ ...m, workloads: [] }, 'sessions', 6)).toThrow(RangeError);
  });
});
