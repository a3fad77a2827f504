import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs, promisify } from 'node:util';
import { gzip as gzipCallback, type InputType, type ZlibOptions } from 'node:zlib';
import { readNumber } from '../cli/flags.js';
import { isMainModule } from '../cli/main-module.js';
import { TIERS } from '../lib/tiers.js';
import { eventGenerator } from '../lib/workloads/event-generator.js';
import { newRunId } from '../load-tests/cli.js';
import { parseLoadOptions } from '../load-tests/options.js';
import { runLoad } from '../load-tests/runner.js';
import type { Scenario } from '../load-tests/scenarios.js';
import { startLocalTarget } from '../load-tests/targets.js';
import { METRICS_PATH } from '../local/prometheus.js';
import { INGEST_PATH } from '../sdk/endpoint.js';
import { describeAnswer, judgeResponse } from '../sdk/response.js';
import { HttpTransport } from '../sdk/transport.js';
import {
  againstLimit,
  type BenchFigure,
  formatInteger,
  formatNumber,
  percentile,
  verdict,
} from './figures.js';
import { writeFiguresFile } from './figures-file.js';

/**
 * Dashboard viewers against `npm start` (its real entry point, in a process of its own, on a
 * fresh data directory) while the load generator (`load-tests/`) offers a steady ingest rate:
 * steps of N simulated viewers, each refreshing the overview page every 5 s, the first step with
 * none. Per step: the viewers' request latency (p50/p95/p99 over every request), their answers
 * by status, and the events the API accepted and the loader stored per second, against the step
 * with no viewers. The answer to "how many viewers does one query node carry" is the largest step
 * that holds the carry rule, every step below it holding too.
 *
 * Before the steps, the store gets history: events over the last 90 minutes (the overview's
 * one-hour window is full of minutes and models) sent through the ingest API. They carry no
 * prompt or response: the overview reads only the rollups, which hold neither, and lean events
 * load in seconds where realistic ones would take minutes.
 */

/** What one viewer is: the overview page's requests, sent together at each refresh. */
export const OVERVIEW_REQUESTS = [
  '/v1/summary?window=1h',
  '/v1/metrics?window=1h',
  '/v1/models?window=1h',
] as const;

/** The overview refreshes every 5 s; each viewer starts at a random offset within the first. */
export const VIEWER_REFRESH_MS = 5_000;

/** A viewer request with no answer by then is counted failed (a dashboard would show an error). */
export const VIEWER_TIMEOUT_MS = 10_000;

/**
 * When a step carries its viewers. The overview refreshes every 5 s: a refresh's answers should
 * land well inside it, so the page is never more than a refresh behind; 250 ms at p95 is a twentieth
 * of the interval. (The design document's target for the headline query alone, at 100M events and
 * nothing else running, is 50 ms p95: see "Dashboard queries" in docs/benchmarks.md.) And the
 * viewers must not take the store from ingest: the events loaded per second stay at 0.9 of the
 * step with no viewers or more. A step with any failed viewer request does not hold either.
 */
export const CARRY_RULE = {
  maxP95Ms: 250,
  minInsertRatio: 0.9,
  maxFailedRequests: 0,
} as const;

/** The steps stop early once one is past any use: p95 over 1 s, or any failed request. */
export const STOP_RULE = { p95Ms: 1_000 } as const;

export const VIEWERS_DEFAULTS = {
  /**
   * Viewers per step; the first is the baseline with none. Small steps first: the embedded engine
   * runs one query or insert at a time, and on two cores its limit comes at a few viewers
   * (docs/benchmarks.md, "Dashboard viewers"); a bigger machine goes on to the round numbers.
   */
  steps: [0, 1, 2, 5, 10, 25, 50, 100, 200],
  stepSec: 30,
  /**
   * Offered ingest, events/s: half the local pipeline's knee (1,500–2,000 events/s on two cores,
   * "Load tests" in docs/benchmarks.md), so the baseline keeps up and the viewers' share of the
   * cores shows as a drop in it.
   */
  eventsPerSec: 1_000,
  historyEvents: 150_000,
  historyMinutes: 90,
  /** Projects, one API key each: the load's and the viewers' (viewer i watches project i mod 3). */
  projects: 3,
} as const;

/** History goes in requests of this many events, this many at once (under the API's 4 slots). */
const HISTORY_BATCH_EVENTS = 2_000;
const HISTORY_IN_FLIGHT = 3;
/** How long the loader may take to store the history before the steps start. */
const HISTORY_LOAD_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------------------------------------
// Pure: percentiles, a step's summary, the carry decision, the estimate, the figures.
// ---------------------------------------------------------------------------------------------

/** What one step recorded. */
export interface StepSamples {
  readonly viewers: number;
  /** From the step's start to its end, as measured. */
  readonly durationSec: number;
  /** Every viewer request sent in the step, answered or not, in ms. */
  readonly latenciesMs: readonly number[];
  /** Viewer answers by HTTP status, an error's with its code (`503 throttled`); `no answer` for a timeout or a network error. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Events the API accepted and the loader stored in the step (`npm start`'s /metrics counters). */
  readonly acceptedEvents: number;
  readonly loadedEvents: number;
}

/** One step, summarised. */
export interface ViewerStep {
  readonly viewers: number;
  readonly durationSec: number;
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** Viewer requests answered other than 2xx, or not answered. */
  readonly failed: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly acceptedPerSec: number;
  readonly loadedPerSec: number;
}

const OK_STATUS = /^2\d\d$/;

export function summariseStep(s: StepSamples): ViewerStep {
  const seconds = Math.max(s.durationSec, 1e-9);
  return {
    viewers: s.viewers,
    durationSec: s.durationSec,
    requests: s.latenciesMs.length,
    requestsPerSec: s.latenciesMs.length / seconds,
    p50Ms: percentile(s.latenciesMs, 0.5),
    p95Ms: percentile(s.latenciesMs, 0.95),
    p99Ms: percentile(s.latenciesMs, 0.99),
    failed: Object.entries(s.statuses).reduce(
      (n, [status, count]) => (OK_STATUS.test(status) ? n : n + count),
      0,
    ),
    statuses: s.statuses,
    acceptedPerSec: s.acceptedEvents / seconds,
    loadedPerSec: s.loadedEvents / seconds,
  };
}

/** The step's insert rate (events loaded per second) over the baseline's. */
export const insertRatio = (step: ViewerStep, baseline: ViewerStep): number =>
  step.loadedPerSec / baseline.loadedPerSec;

/** Whether a step with viewers holds the carry rule against the baseline. */
export function stepHolds(step: ViewerStep, baseline: ViewerStep, rule = CARRY_RULE): boolean {
  return (
    step.viewers > 0 &&
    step.p95Ms <= rule.maxP95Ms &&
    step.failed <= rule.maxFailedRequests &&
    insertRatio(step, baseline) >= rule.minInsertRatio
  );
}

/**
 * The viewers one query node carries: the largest step holding the carry rule with every step
 * below it holding too (a noisy pass above a failed step is not counted). 0 when the first step
 * with viewers already fails; `steps[0]` is the baseline.
 */
export function carriedViewers(steps: readonly ViewerStep[], rule = CARRY_RULE): number {
  const [baseline, ...withViewers] = steps;
  if (baseline === undefined) return 0;
  let carried = 0;
  for (const step of withViewers) {
    if (!stepHolds(step, baseline, rule)) break;
    carried = step.viewers;
  }
  return carried;
}

/** Why the steps stop after this one, or undefined to go on. */
export function stopReason(step: ViewerStep): string | undefined {
  if (step.failed > 0) return `${formatInteger(step.failed)} viewer requests failed`;
  if (step.p95Ms > STOP_RULE.p95Ms)
    return `p95 ${formatNumber(step.p95Ms)} ms is over ${formatInteger(STOP_RULE.p95Ms)} ms`;
  return undefined;
}

/** A ClickHouse data node of a tier, with the viewers the per-core figure gives it. */
export interface NodeEstimate {
  readonly instanceType: string;
  readonly vcpus: number;
  readonly viewers: number;
}

/**
 * Viewers per core on this machine, and what that makes of each tier's ClickHouse node (each
 * c5 type once). An estimate: it takes a vCPU for a core and the query node's cores as doing
 * what this machine's did (ingest, engine and viewers together).
 */
export function nodeEstimates(carried: number, cores: number): { perCore: number; nodes: NodeEstimate[] } {
  const perCore = carried / cores;
  const seen = new Map<string, NodeEstimate>();
  for (const tier of Object.values(TIERS)) {
    const { instanceType, vcpus } = tier.clickhouse;
    if (!seen.has(instanceType)) seen.set(instanceType, { instanceType, vcpus, viewers: perCore * vcpus });
  }
  return { perCore, nodes: [...seen.values()] };
}

export interface ViewersBenchResult {
  readonly cores: number;
  readonly offeredEventsPerSec: number;
  readonly stepSec: number;
  readonly historyEvents: number;
  readonly historyMinutes: number;
  readonly historySec: number;
  /** The baseline first; fewer than asked when the steps stopped early. */
  readonly steps: readonly ViewerStep[];
  /** Why the steps stopped before the last, if they did. */
  readonly stoppedEarly?: string;
}

const benchmark = 'viewers';

export function viewersFigures(r: ViewersBenchResult): BenchFigure[] {
  const [baseline, ...withViewers] = r.steps;
  if (baseline === undefined) return [];
  const carried = carriedViewers(r.steps);
  const { perCore } = nodeEstimates(carried, r.cores);
  const figures: BenchFigure[] = [
    againstLimit(
      {
        benchmark,
        figure: 'events loaded/s, no viewers (baseline)',
        value: baseline.loadedPerSec,
        unit: 'events/s',
      },
      { name: 'offered', value: r.offeredEventsPerSec, unit: 'events/s' },
    ),
  ];
  for (const step of withViewers) {
    const n = `${formatInteger(step.viewers)} viewer${step.viewers === 1 ? '' : 's'}`;
    figures.push(
      againstLimit(
        {
          benchmark,
          figure: `query p95, ${n}`,
          value: step.p95Ms,
          unit: 'ms',
          target: { text: `<= ${CARRY_RULE.maxP95Ms} ms`, met: step.p95Ms <= CARRY_RULE.maxP95Ms },
        },
        { name: 'p95 target for a 5 s refresh', value: CARRY_RULE.maxP95Ms, unit: 'ms' },
      ),
      { benchmark, figure: `query p99, ${n}`, value: step.p99Ms, unit: 'ms' },
      {
        benchmark,
        figure: `viewer requests failed, ${n}`,
        value: step.failed,
        unit: 'requests',
        target: { text: '0', met: step.failed <= CARRY_RULE.maxFailedRequests },
      },
      againstLimit(
        { benchmark, figure: `events loaded/s, ${n}`, value: step.loadedPerSec, unit: 'events/s' },
        { name: 'loaded with no viewers', value: baseline.loadedPerSec, unit: 'events/s' },
        CARRY_RULE.minInsertRatio,
      ),
    );
  }
  figures.push(
    {
      benchmark,
      figure: `viewers carried, this machine (${r.cores} cores)`,
      value: carried,
      unit: 'viewers',
    },
    { benchmark, figure: 'viewers carried per core (estimate)', value: perCore, unit: 'viewers' },
  );
  return figures;
}

/** The steps as a table, the decision and the estimate, one line at a time. */
export function viewersReport(r: ViewersBenchResult): string[] {
  const [baseline] = r.steps;
  const head = [
    'viewers',
    'requests/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'failed',
    'answers',
    'accepted/s',
    'loaded/s',
    'ratio',
    'holds',
  ];
  const rows = r.steps.map((s) => [
    formatInteger(s.viewers),
    formatNumber(s.requestsPerSec),
    formatNumber(s.p50Ms),
    formatNumber(s.p95Ms),
    formatNumber(s.p99Ms),
    formatInteger(s.failed),
    Object.entries(s.statuses)
      .map(([status, n]) => `${status} × ${formatInteger(n)}`)
      .join(', ') || '—',
    formatInteger(s.acceptedPerSec),
    formatInteger(s.loadedPerSec),
    baseline ? formatNumber(insertRatio(s, baseline)) : '—',
    s.viewers === 0 ? 'baseline' : baseline ? verdict(stepHolds(s, baseline)) : '—',
  ]);
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 6 || i === 10 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const carried = carriedViewers(r.steps);
  const { perCore, nodes } = nodeEstimates(carried, r.cores);
  return [
    `viewers: npm start under ${formatInteger(r.offeredEventsPerSec)} events/s offered, steps of ${r.stepSec} s, ${r.cores} cores`,
    `  a viewer: ${OVERVIEW_REQUESTS.join(', ')} together every ${VIEWER_REFRESH_MS / 1_000} s`,
    `  history: ${formatInteger(r.historyEvents)} events over the last ${r.historyMinutes} minutes, sent and loaded in ${r.historySec.toFixed(1)} s`,
    '',
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    ...(r.stoppedEarly ? ['', `  stopped early: ${r.stoppedEarly}`] : []),
    '',
    `  carry rule: p95 <= ${CARRY_RULE.maxP95Ms} ms, no failed request, events loaded/s >= ${CARRY_RULE.minInsertRatio} of the baseline, every smaller step holding too`,
    `  viewers carried: ${formatInteger(carried)} on this machine (${r.cores} cores running ingest, engine, load generator and viewers together)`,
    `  estimate: ${formatInteger(carried)} / ${r.cores} cores = ${formatNumber(perCore)} viewers per core; per ClickHouse node, taking a vCPU for a core: ${nodes
      .map((n) => `${n.instanceType} (${n.vcpus} vCPU) ~${formatInteger(n.viewers)}`)
      .join(', ')}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// The run.
// ---------------------------------------------------------------------------------------------

const gzip = promisify<InputType, ZlibOptions, Buffer>(gzipCallback);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PipelineTotals {
  readonly accepted: number;
  readonly loaded: number;
}

/** `npm start`'s running totals, from its Prometheus text (`GET /metrics`). */
async function pipelineTotals(url: string, apiKey: string): Promise<PipelineTotals> {
  const response = await fetch(new URL(METRICS_PATH, url), {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${METRICS_PATH} answered ${response.status}: ${text.slice(0, 200)}`);
  const counter = (name: string) => {
    const value = Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    if (!Number.isFinite(value)) throw new Error(`GET ${METRICS_PATH} has no ${name}`);
    return value;
  };
  return {
    accepted: counter('evalforge_events_accepted_total'),
    loaded: counter('evalforge_events_loaded_total'),
  };
}

/**
 * History: `events` lean events (no prompt or response) evenly over the last `minutes`, oldest
 * first, spread over the projects' keys, each request sent until it is accepted; then waits until
 * the loader has stored every accepted event.
 */
async function sendHistory(
  url: string,
  apiKeys: readonly string[],
  options: { events: number; minutes: number },
  say: (line: string) => void,
): Promise<number> {
  const started = performance.now();
  const transports = apiKeys.map(
    (apiKey) =>
      new HttpTransport({
        url: new URL(INGEST_PATH, url),
        apiKey,
        timeoutMs: 30_000,
        maxSockets: HISTORY_IN_FLIGHT,
        userAgent: 'evalforge-bench-viewers',
      }),
  );
  const generator = eventGenerator({ seed: 7 });
  const spanMs = options.minutes * 60_000;
  const fromMs = Date.now() - spanMs;
  const batches = Math.ceil(options.events / HISTORY_BATCH_EVENTS);
  let next = 0;
  const post = async (batch: number) => {
    const lines: string[] = [];
    const end = Math.min(options.events, (batch + 1) * HISTORY_BATCH_EVENTS);
    for (let i = batch * HISTORY_BATCH_EVENTS; i < end; i++) {
      const at = new Date(fromMs + (i / options.events) * spanMs).toISOString();
      const { prompt: _prompt, response: _response, ...lean } = generator.next({ timestamp: at });
      lines.push(JSON.stringify(lean));
    }
    const body = await gzip(`${lines.join('\n')}\n`, { level: 6 });
    const transport = transports[batch % transports.length] as HttpTransport;
    const key = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const response = await transport.send(body, new AbortController().signal, key);
      const outcome = judgeResponse(response, lines.length, Date.now());
      if (outcome.kind === 'accepted') return;
      if (outcome.kind !== 'retry-all' || attempt === 10) {
        throw new Error(`a history request was refused: ${describeAnswer(response.status, response.body)}`);
      }
      await sleep(outcome.retryAfterMs ?? 1_000);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: HISTORY_IN_FLIGHT }, async () => {
        while (next < batches) await post(next++);
      }),
    );
  } finally {
    for (const t of transports) t.close();
  }
  say(
    `  history: ${formatInteger(options.events)} events accepted in ${((performance.now() - started) / 1_000).toFixed(1)} s; loading…`,
  );
  const deadline = Date.now() + HISTORY_LOAD_TIMEOUT_MS;
  for (;;) {
    const totals = await pipelineTotals(url, apiKeys[0] ?? '');
    if (totals.loaded >= totals.accepted && totals.accepted >= options.events) break;
    if (Date.now() > deadline) {
      throw new Error(
        `the loader stored ${totals.loaded} of ${totals.accepted} history events within ${HISTORY_LOAD_TIMEOUT_MS / 1_000} s`,
      );
    }
    await sleep(500);
  }
  return (performance.now() - started) / 1_000;
}

/** An error answer's `error.code` (`throttled`, `busy`, `query_limit_exceeded`…), or `?`. */
export function errorCode(body: string): string {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : '?';
  } catch {
    return '?';
  }
}

/** The viewers of one step: each refreshes the overview every 5 s from a random offset. */
class ViewerGroup {
  readonly latenciesMs: number[] = [];
  readonly statuses: Record<string, number> = {};
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #inFlight = new Set<Promise<void>>();

  constructor(url: string, apiKeys: readonly string[], viewers: number) {
    for (let i = 0; i < viewers; i++) {
      const apiKey = apiKeys[i % apiKeys.length] ?? '';
      const refresh = () => {
        for (const path of OVERVIEW_REQUESTS) {
          const request = this.#get(new URL(path, url), apiKey).finally(() => this.#inFlight.delete(request));
          this.#inFlight.add(request);
        }
      };
      const first = setTimeout(() => {
        refresh();
        this.#timers.push(setInterval(refresh, VIEWER_REFRESH_MS));
      }, Math.random() * VIEWER_REFRESH_MS);
      this.#timers.push(first);
    }
  }

  async #get(url: URL, apiKey: string): Promise<void> {
    const started = performance.now();
    let status: string;
    try {
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${apiKey}` },
        signal: AbortSignal.timeout(VIEWER_TIMEOUT_MS),
      });
      const body = await response.text();
      status = response.ok ? String(response.status) : `${response.status} ${errorCode(body)}`;
    } catch {
      status = 'no answer';
    }
    this.latenciesMs.push(performance.now() - started);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
  }

  /** No more refreshes; resolves once the requests in flight are answered. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }
}

export async function benchViewers(
  options: {
    readonly steps: readonly number[];
    readonly stepSec: number;
    readonly eventsPerSec: number;
    readonly historyEvents: number;
    readonly historyMinutes: number;
  },
  say: (line: string) => void = console.log,
): Promise<ViewersBenchResult> {
  const steps = options.steps[0] === 0 ? [...options.steps] : [0, ...options.steps];
  const projects = VIEWERS_DEFAULTS.projects;
  // The load generator's own settings (batches, gzip level, retries), as `npm run load` sets them.
  const load = parseLoadOptions([
    '--rate',
    String(options.eventsPerSec),
    '--duration',
    String(options.stepSec),
    '--projects',
    String(projects),
    '--no-probes',
    '--no-verify',
  ]);
  if (load === 'help') throw new Error('unreachable: no --help given');
  const scenario: Scenario = {
    name: 'constant',
    description: `${formatInteger(options.eventsPerSec)} events/s, ${steps.length} steps of ${options.stepSec} s`,
    phases: steps.map((n) => ({
      name: `${n} viewers`,
      eventsPerSec: options.eventsPerSec,
      durationSec: options.stepSec,
    })),
    projects,
  };

  say('starting npm start for the run…');
  const target = await startLocalTarget({ projects, onStatus: (line) => say(`  | ${line}`) });
  try {
    const apiKeys = target.projects.map((p) => p.apiKey);
    const metricsKey = apiKeys[0] ?? '';
    const historySec = await sendHistory(
      target.url,
      apiKeys,
      { events: options.historyEvents, minutes: options.historyMinutes },
      say,
    );
    say(
      `  history loaded after ${historySec.toFixed(1)} s; generating the load's requests before the clock starts…`,
    );

    const done: ViewerStep[] = [];
    let stoppedEarly: string | undefined;
    const abort = new AbortController();
    type Running = { index: number; group: ViewerGroup; startedMs: number; totals: PipelineTotals };
    let current: Running | undefined;
    // One boundary after another: each waits for the one before it.
    let switching = Promise.resolve();
    /**
     * At a phase boundary: one reading of the pipeline's totals ends the step and starts the next,
     * whose viewers start at once; the ended step's requests still in flight are then waited for
     * (they belong to it) and the step judged. A step past use stops the load, and the one just
     * started is dropped unmeasured.
     */
    const boundary = async (nextIndex: number | undefined) => {
      const ended = current;
      const totals = await pipelineTotals(target.url, metricsKey);
      const atMs = performance.now();
      const settled = ended?.group.stop();
      current =
        nextIndex === undefined || abort.signal.aborted
          ? undefined
          : {
              index: nextIndex,
              group: new ViewerGroup(target.url, apiKeys, steps[nextIndex] ?? 0),
              startedMs: atMs,
              totals,
            };
      if (current)
        say(
          `  step ${current.index + 1} of ${steps.length}: ${formatInteger(steps[current.index] ?? 0)} viewers`,
        );
      if (ended === undefined) return;
      await settled;
      const step = summariseStep({
        viewers: steps[ended.index] ?? 0,
        durationSec: (atMs - ended.startedMs) / 1_000,
        latenciesMs: ended.group.latenciesMs,
        statuses: ended.group.statuses,
        acceptedEvents: totals.accepted - ended.totals.accepted,
        loadedEvents: totals.loaded - ended.totals.loaded,
      });
      done.push(step);
      say(
        `  step ${formatInteger(step.viewers)} viewers: ${formatNumber(step.requestsPerSec)} requests/s, p95 ${formatNumber(step.p95Ms)} ms, p99 ${formatNumber(step.p99Ms)} ms, ${step.failed} failed; ${formatInteger(step.acceptedPerSec)} accepted/s, ${formatInteger(step.loadedPerSec)} loaded/s`,
      );
      const reason = step.viewers > 0 ? stopReason(step) : undefined;
      if (reason !== undefined && current !== undefined) {
        stoppedEarly = `after ${formatInteger(step.viewers)} viewer${step.viewers === 1 ? '' : 's'}: ${reason}`;
        say(`  stopping: ${stoppedEarly}`);
        abort.abort();
        await current.group.stop();
        current = undefined;
      }
    };

    let phaseSeen = -1;
    await runLoad({
      url: target.url,
      projects: target.projects,
      scenario,
      runId: newRunId(),
      connections: load.connections,
      gzipLevel: load.gzipLevel,
      maxRetries: load.maxRetries,
      timeoutMs: load.timeoutMs,
      maxInFlight: load.maxInFlight,
      limits: load.limits,
      // Every request made and compressed before the clock starts: the cores go to the pipeline.
      generate: 'ahead',
      sizes: load.sizes,
      seed: load.seed,
      probes: false,
      probeTimeoutMs: load.verifyTimeoutMs,
      signal: abort.signal,
      progressIntervalMs: 500,
      onProgress: (p) => {
        const index = scenario.phases.indexOf(p.phase);
        if (index === phaseSeen) return;
        phaseSeen = index;
        switching = switching.then(() => boundary(index));
      },
    });
    await switching;
    await boundary(undefined);
    return {
      cores: cpus().length,
      offeredEventsPerSec: options.eventsPerSec,
      stepSec: options.stepSec,
      historyEvents: options.historyEvents,
      historyMinutes: options.historyMinutes,
      historySec,
      steps: done,
      ...(stoppedEarly === undefined ? {} : { stoppedEarly }),
    };
  } finally {
    say('stopping npm start…');
    await target.stop();
  }
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: VIEWERS_DEFAULTS.steps.join(',') },
      'step-sec': { type: 'string', default: String(VIEWERS_DEFAULTS.stepSec) },
      rate: { type: 'string', default: String(VIEWERS_DEFAULTS.eventsPerSec) },
      'history-events': { type: 'string', default: String(VIEWERS_DEFAULTS.historyEvents) },
      'history-minutes': { type: 'string', default: String(VIEWERS_DEFAULTS.historyMinutes) },
      'json-out': { type: 'string' },
    },
  });
  const whole = (name: string, text: string, min: number): number => {
    const value = readNumber(text, { integer: true });
    if (value !== undefined && value >= min) return value;
    console.error(`--${name} must be a whole number from ${min}`);
    process.exit(2);
  };
  const steps = values.steps.split(',').map((s) => whole('steps', s, 0));
  benchViewers({
    steps,
    stepSec: whole('step-sec', values['step-sec'], 1),
    eventsPerSec: whole('rate', values.rate, 1),
    historyEvents: whole('history-events', values['history-events'], 1),
    historyMinutes: whole('history-minutes', values['history-minutes'], 61),
  })
    .then(async (r) => {
      console.log('');
      for (const line of viewersReport(r)) console.log(line);
      const out = values['json-out'];
      if (out !== undefined) await writeFiguresFile(out, viewersFigures(r));
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
