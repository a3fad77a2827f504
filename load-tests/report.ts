import type { PhaseResult, Progress, RunResult } from './runner.js';
import { findKnee, type Scenario } from './scenarios.js';
import type { LatencySummary } from './stats.js';
import type { Verification } from './verify.js';

/** The end of a load run, as text for people and as JSON for machines. */

export interface Machine {
  readonly cores: number;
  readonly cpu: string;
  readonly node: string;
}

export interface LoadReport {
  readonly runId: string;
  readonly machine: Machine;
  readonly target: string;
  readonly scenario: Scenario;
  readonly run: RunResult;
  /** The ramp's knee: the highest step that held, by `kneeRule`. */
  readonly knee?: {
    readonly rule: string;
    readonly phase: string | null;
    readonly eventsPerSec: number | null;
  };
  readonly verification?: Verification;
  /** Why there is no verification, when it was not asked for. */
  readonly verificationSkipped?: string;
  /** Why the verification could not be made (the query API unreachable or refusing): the run fails. */
  readonly verificationError?: string;
  /** Every acknowledged event stored exactly once (or the verification was skipped). */
  readonly passed: boolean;
}

/**
 * A generator this late at worst is named in the report: it fell behind its schedule, so less
 * load arrived on time than was offered. (Compressing a 500-event batch made live takes ~0.2 s.)
 */
export const SCHEDULE_LAG_WARN_MS = 1_000;

const n = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? n(x) : x.toFixed(1)) : '—');
const sec = (x: number) => (Number.isFinite(x) ? (x / 1_000).toFixed(2) : '—');

export function latencyText(l: LatencySummary): string {
  return `p50 ${ms(l.p50Ms)} ms, p95 ${ms(l.p95Ms)} ms, p99 ${ms(l.p99Ms)} ms, max ${ms(l.maxMs)} ms`;
}

export function statusText(statuses: Readonly<Record<string, number>>): string {
  const entries = Object.entries(statuses).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0
    ? 'none'
    : entries.map(([status, count]) => `${status} × ${n(count)}`).join(', ');
}

/** The live line: what was offered and achieved in the last interval. */
export function progressLine(p: Progress): string {
  return [
    `${p.elapsedSec.toFixed(0).padStart(4)} s`,
    `[${p.phase.name}]`,
    `offered ${n(p.phase.eventsPerSec)}/s`,
    `due ${n(p.dueEventsPerSec)}/s`,
    `acknowledged ${n(p.acknowledgedPerSec)}/s`,
    `errors ${n(p.errorAnswers)}`,
    `in flight ${n(p.inFlight)}`,
    p.latency.count === 0 ? 'no answers' : `p50 ${ms(p.latency.p50Ms)} ms p99 ${ms(p.latency.p99Ms)} ms`,
    `total ${n(p.acknowledged)}`,
  ].join('  ');
}

function phaseTable(phases: readonly PhaseResult[]): string[] {
  const header = ['phase', 'offered/s', 'acknowledged/s', 'share', 'p50 ms', 'p99 ms', 'max ms', 'answers'];
  const rows = phases.map((p) => [
    p.phase.name,
    n(p.phase.eventsPerSec),
    n(p.acknowledgedPerSec),
    p.phase.eventsPerSec === 0 ? '—' : (p.acknowledgedPerSec / p.phase.eventsPerSec).toFixed(2),
    ms(p.latency.p50Ms),
    ms(p.latency.p99Ms),
    ms(p.latency.maxMs),
    statusText(p.tally.statuses),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

export function kneeOf(
  scenario: Scenario,
  run: RunResult,
  p99LimitMs: number,
): LoadReport['knee'] | undefined {
  if (scenario.name !== 'ramp') return undefined;
  const knee = findKnee(
    run.phases.map((p) => ({ phase: p.phase, acceptedPerSec: p.acknowledgedPerSec, p99Ms: p.latency.p99Ms })),
    p99LimitMs,
  );
  return {
    rule: `highest step acknowledging ≥ 95% of its offered rate with p99 ≤ ${n(p99LimitMs)} ms, every step below it holding too`,
    phase: knee?.phase.name ?? null,
    eventsPerSec: knee?.phase.eventsPerSec ?? null,
  };
}

export function formatReport(r: LoadReport): string {
  const { run, scenario } = r;
  const g = run.generation;
  const t = run.tally;
  const lines = [
    `EvalForge load run ${r.runId}: ${run.startedAt}, ${r.machine.cores} cores (${r.machine.cpu}), node ${r.machine.node}`,
    `  target:        ${r.target}`,
    `  scenario:      ${scenario.name}: ${scenario.description}; ${scenario.projects} projects`,
    `  requests:      ${n(g.meanEventsPerRequest)} events, ${n(g.meanRequestBytes)} bytes gzip on average (${n(g.meanEventBytes)} bytes per event, ${g.compressionRatio.toFixed(2)}:1), generated ${g.mode === 'ahead' ? `ahead in ${g.seconds.toFixed(1)} s` : 'live'}`,
    `  offered:       ${n(t.offered)} events over ${run.scheduledSec} s (${n(t.offered / Math.max(run.scheduledSec, 1e-9))}/s)${t.unsent > 0 ? `; ${n(t.unsent)} never sent (the client had its maximum of requests open)` : ''}`,
    `  acknowledged:  ${n(run.acknowledgedPerSec)} events/s over the schedule, ${n(t.acknowledged / Math.max(run.elapsedSec, 1e-9))}/s until the last answer ${run.elapsedSec.toFixed(1)} s after the start (${n(t.acknowledged)} of ${n(t.offered)})`,
    `  not stored:    ${n(t.refused)} refused after ${n(t.retries)} retries, rejected ${statusText(t.rejected)}, ${n(t.inDoubt)} in doubt`,
    `  answers:       ${statusText(t.statuses)} (${n(t.requests)} requests)`,
    `  latency:       ${latencyText(run.latency)} (HDR histogram of ${n(run.latency.count)} answers, each timed from its hand-off to the connection pool)`,
  ];
  const lag = run.scheduleLag;
  lines.push(
    `  on schedule:   requests left p50 ${ms(lag.p50Ms)} ms, p99 ${ms(lag.p99Ms)} ms, max ${ms(lag.maxMs)} ms after they were due${lag.maxMs > SCHEDULE_LAG_WARN_MS ? ' (WARNING: the generator fell behind its schedule, so the load arrived later than offered; use --generate ahead, a lower rate, or more processes)' : ''}`,
  );
  if (run.freshness) {
    const f = run.freshness;
    lines.push(
      `  freshness:     p50 ${sec(f.p50Ms)} s, p95 ${sec(f.p95Ms)} s, max ${sec(f.maxMs)} s from acknowledgement to queryable (${n(f.acknowledged - f.neverSeen)} of ${n(f.acknowledged)} probes seen)`,
    );
  }
  if (run.phases.length > 1) lines.push('  phases:', ...phaseTable(run.phases).map((l) => `  ${l}`));
  if (r.knee) {
    lines.push(
      `  knee:          ${r.knee.phase === null ? 'none: the first step did not hold' : `${r.knee.phase} (${n(r.knee.eventsPerSec ?? Number.NaN)} events/s)`}; ${r.knee.rule}`,
    );
  }
  const v = r.verification;
  if (v) {
    lines.push(
      `  verification:  GET /v1/calls/count where metadata.load_run = ${r.runId}, ${v.projects.length} projects, after ${v.waitedSec.toFixed(1)} s`,
      `                 acknowledged ${n(v.acknowledged)}, stored ${n(v.stored)} rows of ${n(v.distinct)} distinct events, ${n(v.inDoubt)} in doubt${v.inDoubt > 0 ? ` (${n(v.inDoubtStored)} of them stored, their ${n(v.perProject.reduce((k, p) => k + p.doubtfulRequests, 0))} requests counted on their own)` : ''}`,
      `                 lost ${n(v.lost)}${v.lostAtMost > v.lost ? ` (at most ${n(v.lostAtMost)}, counting the events in doubt)` : ''}, duplicated ${n(v.duplicated)}, unexpected ${n(v.unexpected)}: ${v.ok ? 'PASSED' : 'FAILED'}${v.caughtUp ? '' : ' (the deadline passed before the pipeline caught up)'}`,
    );
  } else if (r.verificationError !== undefined) {
    lines.push(`  verification:  could not be made: ${r.verificationError}: FAILED`);
  } else {
    lines.push(`  verification:  skipped (${r.verificationSkipped ?? 'not asked for'})`);
  }
  return `${lines.join('\n')}\n`;
}
