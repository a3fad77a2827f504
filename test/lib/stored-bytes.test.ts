import { describe, expect, it } from 'vitest';
import { MEASURED_STORED_BYTES as M } from '../../lib/stored-bytes.js';
import { MEAN_PROMPT_CHARS, MEAN_RESPONSE_CHARS } from '../../lib/workloads/event-generator.js';

describe('MEASURED_STORED_BYTES', () => {
  it.each([
    'bodiesBytesPerRow',
    'generatorBodiesBytesPerRow',
    'metadataBytesPerRow',
    'restBytesPerRow',
    'marksAndIndexesBytesPerRow',
    'minuteRollupBytesPerRow',
    'hourRollupBytesPerRow',
    'rollupBytesPerEvent',
  ] as const)('%s is a positive number of bytes', (key) => {
    expect(M[key]).toBeGreaterThan(0);
    expect(Number.isFinite(M[key])).toBe(true);
  });

  it('finds the bodies most of a row: over ten times the metadata and the rest together', () => {
    expect(M.bodiesBytesPerRow).toBeGreaterThan(10 * (M.metadataBytesPerRow + M.restBytesPerRow));
  });

  it('sizes with the independent text, the larger of the two body figures', () => {
    expect(M.bodiesBytesPerRow).toBeGreaterThan(M.generatorBodiesBytesPerRow);
  });

  it('puts both body figures on the same 5,000 characters: ratio × stored bytes agree', () => {
    const raw = MEAN_PROMPT_CHARS + MEAN_RESPONSE_CHARS;
    for (const [bytes, ratio] of [
      [M.bodiesBytesPerRow, M.compressionRatio.bodies],
      [M.generatorBodiesBytesPerRow, M.compressionRatio.generatorBodies],
    ] as const) {
      expect(Math.abs(bytes * ratio - raw) / raw).toBeLessThan(0.01);
    }
  });

  it('agrees with its rollup rows: the per-event figure is the rows of the measured traffic times their bytes', () => {
    const { eventsPerSec, projects, models } = M.rollupMeasuredAt;
    const seconds = M.events / eventsPerSec;
    const minuteRows = projects * models * (seconds / 60);
    const hourRows = projects * models * Math.ceil(seconds / 3_600);
    const perEvent = (minuteRows * M.minuteRollupBytesPerRow + hourRows * M.hourRollupBytesPerRow) / M.events;
    expect(Math.abs(perEvent - M.rollupBytesPerEvent) / M.rollupBytesPerEvent).toBeLessThan(0.03);
  });

  it('names the command and date it was measured with', () => {
    expect(M).toMatchObject({ measuredWith: 'npm run bench -- storage', date: '2026-12-02' });
    expect(M.events).toBeGreaterThanOrEqual(100_000);
  });
});
