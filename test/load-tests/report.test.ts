import { describe, expect, it } from 'vitest';
import { formatReport, kneeOf, type LoadReport, progressLine, statusText } from '../../load-tests/report.js';
import type { RunResult } from '../../load-tests/runner.js';
import { tierScenario } from '../../load-tests/scenarios.js';
import { emptyTally } from '../../load-tests/stats.js';
import { judgeDelivery } from '../../load-tests/verify.js';

const latency = (p99Ms: number) => ({ count: 10, p50Ms: 80, p95Ms: p99Ms - 10, p99Ms, maxMs: p99Ms + 5 });
const scenario = tierScenario(4, 'ramp', { scale: 0.01, durationSec: 60, projects: 2 });
const run: RunResult = {
  runId: 'r1',
  startedAt: '2026-11-27T05:00:00.000Z',
  endedAt: '2026-11-27T05:01:00.000Z',
  elapsedSec: 61.5,
  scheduledSec: 60,
  generation: {
    mode: 'ahead',
    seconds: 9.5,
    events: 105_000,
    meanEventBytes: 5_530,
    meanRequestBytes: 905_000,
    meanEventsPerRequest: 490,
    compressionRatio: 3.01,
  },
  tally: {
    ...emptyTally(),
    offered: 105_000,
    sent: 105_000,
    acknowledged: 100_000,
    refused: 5_000,
    requests: 260,
    retries: 40,
    statuses: { '200': 220, '503': 40 },
  },
  perProject: [
    { acknowledged: 60_000, inDoubt: 0, doubtful: [] },
    { acknowledged: 40_000, inDoubt: 0, doubtful: [] },
  ],
  phases: scenario.phases.map((phase, i) => ({
    phase,
    tally: { ...emptyTally(), statuses: { '200': 30 } },
    latency: latency([200, 300, 500, 900, 4_000, 9_000][i] ?? 0),
    acknowledgedPerSec: i < 4 ? phase.eventsPerSec : phase.eventsPerSec * 0.8,
  })),
  latency: latency(4_000),
  scheduleLag: { count: 260, p50Ms: 1.2, p95Ms: 3, p99Ms: 4.5, maxMs: 12 },
  acknowledgedPerSec: 100_000 / 60,
  freshness: { probes: 60, acknowledged: 60, neverSeen: 0, p50Ms: 900, p95Ms: 3_900, maxMs: 5_000 },
  firstEventAt: '2026-11-27T05:00:00.000Z',
  lastEventAt: '2026-11-27T05:01:00.000Z',
};

/** A report of `run` with the given verdict fields; the rest as a run on this machine would have them. */
const reportOf = (fields: Partial<LoadReport> & Pick<LoadReport, 'passed'>): LoadReport => ({
  runId: 'r1',
  machine: { cores: 2, cpu: 'x', node: 'v20' },
  target: 't',
  scenario,
  run,
  ...fields,
});

describe('the load report', () => {
  it('finds the ramp’s knee at the last step that held', () => {
    expect(kneeOf(scenario, run, 1_000)).toMatchObject({ phase: '100%', eventsPerSec: 2_000 });
    expect(kneeOf(scenario, run, 400)).toMatchObject({ phase: '50%', eventsPerSec: 1_000 });
  });

  it('prints the figures, the phases, the knee and a passed verification', () => {
    const v = judgeDelivery(run.perProject, [
      { calls: 60_000, distinctCalls: 60_000 },
      { calls: 40_000, distinctCalls: 40_000 },
    ]);
    const report: LoadReport = {
      runId: 'r1',
      machine: { cores: 2, cpu: 'AMD EPYC', node: 'v20.20.2' },
      target: 'http://127.0.0.1:8080',
      scenario,
      run,
      knee: kneeOf(scenario, run, 1_000),
      verification: { ...v, projects: ['load-1', 'load-2'], perProject: [], waitedSec: 3.2, caughtUp: true },
      passed: v.ok,
    };
    const text = formatReport(report);
    expect(text).toContain(
      'acknowledged:  1,667 events/s over the schedule, 1,626/s until the last answer 61.5 s after the start (100,000 of 105,000)',
    );
    expect(text).toContain('not stored:    5,000 refused after 40 retries, rejected none, 0 in doubt');
    expect(text).toContain('answers:       200 × 220, 503 × 40 (260 requests)');
    expect(text).toContain('latency:       p50 80.0 ms, p95 3,990 ms, p99 4,000 ms, max 4,005 ms');
    expect(text).toContain(
      'on schedule:   requests left p50 1.2 ms, p99 4.5 ms, max 12.0 ms after they were due\n',
    );
    expect(text).toContain('freshness:     p50 0.90 s, p95 3.90 s, max 5.00 s');
    expect(text).toMatch(/ {2}150% +3,000 +2,400 +0\.80 +80\.0 +9,000 +9,005 +200 × 30/);
    expect(text).toContain('knee:          100% (2,000 events/s)');
    expect(text).toContain('lost 0, duplicated 0, unexpected 0: PASSED');
  });

  it('says FAILED, and why, when the store is short', () => {
    const v = judgeDelivery(run.perProject, [
      { calls: 60_000, distinctCalls: 59_990 },
      { calls: 39_000, distinctCalls: 39_000 },
    ]);
    const text = formatReport(
      reportOf({
        verification: { ...v, projects: [], perProject: [], waitedSec: 120, caughtUp: false },
        passed: v.ok,
      }),
    );
    expect(text).toContain(
      'lost 1,010, duplicated 10, unexpected 0: FAILED (the deadline passed before the pipeline caught up)',
    );
  });

  it('warns when the generator fell behind its schedule', () => {
    const late = {
      ...run,
      scheduleLag: { count: 260, p50Ms: 900, p95Ms: 2_000, p99Ms: 2_500, maxMs: 3_000 },
    };
    const text = formatReport(reportOf({ run: late, verificationSkipped: '--no-verify', passed: true }));
    expect(text).toMatch(/after they were due \(WARNING: the generator fell behind its schedule/);
    expect(
      formatReport(
        reportOf({ run: { ...run, scheduleLag: { ...late.scheduleLag, maxMs: 1_000 } }, passed: true }),
      ),
    ).not.toMatch(/WARNING/);
  });

  it('fails a run whose verification could not be made, saying why', () => {
    const text = formatReport(
      reportOf({ verificationError: 'the query API answered 401 to GET /v1/calls/count', passed: false }),
    );
    expect(text).toContain(
      'verification:  could not be made: the query API answered 401 to GET /v1/calls/count: FAILED',
    );
  });

  it('orders status counts and draws the progress line', () => {
    expect(statusText({ '503': 2, '200': 5, 'network error': 1 })).toBe(
      '200 × 5, 503 × 2, network error × 1',
    );
    expect(
      progressLine({
        elapsedSec: 12,
        phase: { name: '50%', eventsPerSec: 1_000, durationSec: 10 },
        dueEventsPerSec: 980,
        acknowledgedPerSec: 1_000,
        errorAnswers: 0,
        inFlight: 3,
        latency: latency(412),
        acknowledged: 12_000,
      }),
    ).toBe(
      '  12 s  [50%]  offered 1,000/s  due 980/s  acknowledged 1,000/s  errors 0  in flight 3  p50 80.0 ms p99 412 ms  total 12,000',
    );
  });
});
