import { describe, expect, it } from 'vitest';
import type { PipelineStats } from '../../local/pipeline.js';
import { statusLine, stoppedLine } from '../../local/status-line.js';

const IDLE: PipelineStats = {
  requests: 10,
  eventsAccepted: 1_000,
  eventsRejected: 2,
  eventsLoaded: 1_000,
  duplicateRecords: 0,
  deadLetters: 0,
  loaderLagMs: 0,
  archiveLagMs: 0,
  archiveObjects: 3,
  archiveBufferedBytes: 0,
  loaderRetries: 0,
};

describe('statusLine', () => {
  it('prints nothing when nothing moved', () => {
    expect(statusLine(IDLE, IDLE, 10)).toBeUndefined();
  });

  it('prints the rates, lags and totals, starting with "ingest " as the load tests look for', () => {
    const now = { ...IDLE, eventsAccepted: 3_000, eventsLoaded: 2_500, loaderLagMs: 1_234 };
    expect(statusLine(now, IDLE, 10)).toBe(
      'ingest 200 events/s · loaded 150 events/s · lag: ClickHouse 1.2 s, archive 0.0 s · ' +
        'totals: 3,000 accepted, 2 rejected, 2,500 loaded, 3 archive objects',
    );
  });

  it.each([
    [1, ', 1 dead letter'],
    [1_250, ', 1,250 dead letters'],
  ])('shows %i dead letters among the totals once there are some', (deadLetters, shown) => {
    const line = statusLine({ ...IDLE, eventsAccepted: 1_100, deadLetters }, IDLE, 10);
    expect(line).toContain(`3 archive objects${shown}`);
  });

  it('prints a line when only the dead letters rose', () => {
    expect(statusLine({ ...IDLE, deadLetters: 4 }, IDLE, 10)).toContain('4 dead letters');
  });

  it('names the loader retries of the interval', () => {
    const line = statusLine({ ...IDLE, loaderLagMs: 5, loaderRetries: 7 }, { ...IDLE, loaderRetries: 4 }, 10);
    expect(line?.endsWith(' · 3 loader retries')).toBe(true);
  });
});

describe('stoppedLine', () => {
  it('says what the run took in', () => {
    expect(stoppedLine(IDLE)).toBe('stopped: 1,000 events accepted and 1,000 loaded in this run');
  });

  it('names the dead letters and the command that lists them', () => {
    expect(stoppedLine({ ...IDLE, deadLetters: 3 })).toBe(
      'stopped: 1,000 events accepted and 1,000 loaded in this run; 3 dead letters in load_dead_letters (npm run dead-letters lists them)',
    );
  });
});
