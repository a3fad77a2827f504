import { describe, expect, it } from 'vitest';
import {
  benchDashboard,
  compareStats,
  DashboardBenchError,
  type DashboardBenchResult,
  dashboardFigures,
  dashboardTargetsMet,
  formatDashboardResult,
  PROJECTS,
  parseRows,
  rawSql,
} from '../../bench/dashboard.js';
import { percentile } from '../../bench/figures.js';

/**
 * The dashboard benchmark at a tiny size, through its exported function on the real embedded
 * engine: the generated events land in all three tables, the rollups (minuteStats for the last
 * hour, hourStats for the last day and week) and the raw queries agree, the windows are whole
 * hours ending at the last whole hour before the newest event, and the result has every field
 * the printout and `--check` read. No timing assertions.
 */

const HOUR_MS = 3_600_000;

describe('dashboard benchmark', () => {
  let result: DashboardBenchResult;

  it('generates events in ClickHouse, fills both rollups, and measures the three windows', async () => {
    result = await benchDashboard({ rows: [20_000, 30_000], runs: 2, minFreeGiB: 1, mergeWaitMs: 0 });

    expect(result).toMatchObject({
      benchmark: 'dashboard',
      runs: 2,
      targets: { rollupP95MaxMs: 50, rawToRollupMinRatio: 20, atRows: 100_000_000 },
    });
    expect(result.cores).toBeGreaterThan(0);
    expect(result.maxRssKiB).toBeGreaterThan(0);
    expect(result.engine).toMatch(/ClickHouse \d+\./);
    // The data: the week before the windows' end and the first half of the hour after it, all past.
    const end = Date.parse(result.windowEnd);
    expect(end % HOUR_MS).toBe(0);
    expect(Date.parse(result.dataFrom)).toBe(end - 168 * HOUR_MS);
    expect(Date.parse(result.dataTo)).toBe(end + HOUR_MS / 2);
    expect(Date.parse(result.dataTo)).toBeLessThanOrEqual(Date.parse(result.startedAt));
    expect(result.sizes.map((s) => [s.rows, s.insertedRows])).toEqual([
      [20_000, 20_000],
      [30_000, 10_000],
    ]);
    for (const size of result.sizes) {
      expect(size.insertRowsPerSec).toBeGreaterThan(0);
      expect(size.eventsParts).toBeGreaterThan(0);
      expect(size.minuteRollupParts).toBeGreaterThan(0);
      expect(size.hourRollupParts).toBeGreaterThan(0);
      expect(size.hourRollupRows).toBeLessThan(size.minuteRollupRows);
      // The windows end at the last whole hour before the newest event.
      expect(Math.floor(Date.parse(size.newestEvent) / HOUR_MS) * HOUR_MS).toBe(end);
      // The biggest project holds ~40% of the events (traces are assigned by hash).
      expect(size.biggestProjectShare).toBeGreaterThan(0.35);
      expect(size.biggestProjectShare).toBeLessThan(0.45);
      expect(size.queryFloor.p50Ms).toBeGreaterThan(0);
      expect(size.queryFloor.p95Ms).toBeGreaterThanOrEqual(size.queryFloor.p50Ms);
      expect(size.windows.map((w) => [w.window, w.bucket, w.rollupQuery, w.rollupTable, w.headline])).toEqual(
        [
          ['1h', 'minute', 'minuteStats', 'events_minute', true],
          ['24h', 'hour', 'hourStats', 'events_hour', false],
          ['7d', 'hour', 'hourStats', 'events_hour', false],
        ],
      );
      for (const w of size.windows) {
        expect(w.projectId).toBe(PROJECTS[0]?.id);
        expect(Date.parse(w.to)).toBe(end);
        for (const side of [w.rollup, w.raw]) {
          expect(side.p50Ms).toBeGreaterThan(0);
          expect(side.p95Ms).toBeGreaterThanOrEqual(side.p50Ms);
        }
        expect(w.ratio).toBeCloseTo(w.raw.p95Ms / w.rollup.p95Ms);
        expect(w.groups).toBeGreaterThan(0);
        expect(w.errors).toBeLessThan(w.requests * 0.05);
        // The targets apply to the headline only.
        if (w.headline) {
          expect(typeof w.rollupTargetMet).toBe('boolean');
          expect(typeof w.ratioTargetMet).toBe('boolean');
        } else {
          expect(w.rollupTargetMet).toBeNull();
          expect(w.ratioTargetMet).toBeNull();
        }
      }
      const [hour, day, week] = size.windows;
      if (!hour || !day || !week) throw new Error('three windows expected');
      expect(Date.parse(hour.from)).toBe(end - HOUR_MS);
      expect(Date.parse(day.from)).toBe(end - 24 * HOUR_MS);
      expect(Date.parse(week.from)).toBe(end - 168 * HOUR_MS);
      // At most 60 minutes, 24 or 168 hours, times six models.
      expect(hour.groups).toBeLessThanOrEqual(60 * 6);
      expect(day.groups).toBeLessThanOrEqual(24 * 6);
      expect(week.groups).toBeLessThanOrEqual(168 * 6);
      expect(day.errors).toBeGreaterThan(0);
      // Even over the span: an hour is ~1/24 of a day, a day ~1/7 of the week.
      expect(hour.requests / day.requests).toBeGreaterThan(0.02);
      expect(hour.requests / day.requests).toBeLessThan(0.07);
      expect(day.requests / week.requests).toBeGreaterThan(0.12);
      expect(day.requests / week.requests).toBeLessThan(0.17);
      // The week is every event of the project but the current half hour's (~0.3%).
      const project = Math.round(size.biggestProjectShare * size.rows);
      expect(week.requests).toBeLessThan(project);
      expect(week.requests).toBeGreaterThan(project * 0.99);
    }

    const text = formatDashboardResult(result);
    expect(text).toContain('30,000 events');
    expect(text).toMatch(/query floor \(SELECT of a constant, same client\): p50 [\d.]+ ms/);
    expect(text).toMatch(/1h per minute \(headline, the design document query\)/);
    expect(text).toMatch(/24h per hour \(information\)/);
    expect(text).toMatch(/7d per hour \(information\)/);
    expect(text).toMatch(/rollup \(minuteStats, events_minute\):/);
    expect(text).toMatch(/rollup \(hourStats, events_hour\):/);
    // One verdict per target per size, on the headline only; every window prints its ratio.
    expect(text.match(/rollup p95 <= 50 ms: (met|MISSED)/g)).toHaveLength(2);
    expect(text.match(/raw\/rollup >= 20x: (met|MISSED)/g)).toHaveLength(2);
    expect(text.match(/raw\/rollup p95 = [\d.]+x/g)).toHaveLength(6);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);

    // Below 100M events the targets are informative only.
    expect(dashboardTargetsMet(result)).toBe(true);
    // The figures npm run bench tabulates: two sizes × three windows, two headline speed-ups, the RSS.
    const figures = dashboardFigures(result);
    expect(figures).toHaveLength(9);
    expect(figures.every((f) => f.benchmark === 'query' && f.target === undefined)).toBe(true);
    expect(figures[0]).toMatchObject({
      figure: '1h per minute (headline), 20,000 events: rollup p95',
      value: result.sizes[0]?.windows[0]?.rollup.p95Ms,
      limit: { name: 'raw-table p95', value: result.sizes[0]?.windows[0]?.raw.p95Ms, unit: 'ms' },
    });
    const at100M = (r: DashboardBenchResult) => ({
      ...r,
      sizes: r.sizes.map((s) => ({ ...s, rows: s.rows * 10_000 })),
    });
    expect(dashboardTargetsMet(at100M(result))).toBe(
      result.sizes.every(
        (s) => s.windows[0]?.rollupTargetMet === true && s.windows[0]?.ratioTargetMet === true,
      ),
    );
    // Only the headline counts: the same run with every headline met passes, whatever 24h and 7d show.
    const headlineMet = (r: DashboardBenchResult, met: boolean) => ({
      ...r,
      sizes: r.sizes.map((s) => ({
        ...s,
        windows: s.windows.map((w) =>
          w.headline
            ? { ...w, rollupTargetMet: met, ratioTargetMet: met }
            : { ...w, rollupTargetMet: null, ratioTargetMet: null },
        ),
      })),
    });
    expect(dashboardTargetsMet(at100M(headlineMet(result, true)))).toBe(true);
    expect(dashboardTargetsMet(at100M(headlineMet(result, false)))).toBe(false);
  }, 60_000);

  it('fails loudly when the rollup and the raw rows disagree', () => {
    const row = {
      bucket: '2026-01-01T00:00:00.000Z',
      model: 'm',
      requests: 3,
      errors: 1,
      latency_ms_avg: 10,
    };
    expect(compareStats([row], [row], 'same')).toEqual({ groups: 1, requests: 3, errors: 1 });
    expect(() => compareStats([row], [{ ...row, requests: 4 }], 'x')).toThrow(DashboardBenchError);
    expect(() => compareStats([row], [{ ...row, errors: 2 }], 'x')).toThrow(/1 errors, raw 3 \/ 2/);
    expect(() => compareStats([row], [], 'x')).toThrow(/in the rollup only/);
    expect(() => compareStats([], [row], 'x')).toThrow(/in the raw rows only/);
    expect(() => compareStats([row], [{ ...row, latency_ms_avg: 10.5 }], 'x')).toThrow(/avg latency/);
    expect(() =>
      compareStats([row], [{ ...row, bucket: '2026-01-01T01:00:00.000Z' }], '1h window (minuteStats)'),
    ).toThrow(/^1h window \(minuteStats\): the rollup and the raw events disagree/);
  });

  it('buckets the raw query by minute or by hour', () => {
    expect(rawSql('minute')).toContain('toStartOfMinute(timestamp)');
    expect(rawSql('hour')).toContain('toStartOfHour(timestamp)');
    for (const sql of [rawSql('minute'), rawSql('hour')]) {
      expect(sql).toContain('quantile(0.95)(latency_ms)');
      expect(sql).toContain('{project:String}');
    }
  });

  it('parses row counts and takes nearest-rank percentiles', () => {
    expect(parseRows('10000000,100M')).toEqual([10_000_000, 100_000_000]);
    expect(parseRows('20k,1.5m')).toEqual([20_000, 1_500_000]);
    expect(() => parseRows('ten')).toThrow(DashboardBenchError);
    const twenty = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(percentile(twenty, 0.5)).toBe(10);
    expect(percentile(twenty, 0.95)).toBe(19);
  });

  it('refuses to start without enough free disk', async () => {
    await expect(benchDashboard({ rows: [10], minFreeGiB: 1e9 })).rejects.toThrow(/GiB free/);
  });
});
