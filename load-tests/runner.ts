import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzip as gzipCallback, type InputType, type ZlibOptions } from 'node:zlib';
import { INGEST_LIMITS } from '../functions/shared/contract/ingest-api.js';
import { eventGenerator } from '../lib/workloads/event-generator.js';
import { type BackoffPolicy, retryDelayMs } from '../sdk/backoff.js';
import { CLIENT_DEFAULTS } from '../sdk/client.js';
import { INGEST_PATH } from '../sdk/endpoint.js';
import { newSpanId, newTraceId } from '../sdk/ids.js';
import { judgeResponse, type Verdict } from '../sdk/response.js';
import { HttpTransport } from '../sdk/transport.js';
import { type BatchLimits, type PlannedBatch, planBatches } from './planner.js';
import { FreshnessProbes, type FreshnessResult } from './probes.js';
import type { Phase, Scenario } from './scenarios.js';
import {
  countInto,
  emptyTally,
  errorAnswers,
  type LatencyHistogram,
  type LatencySummary,
  latencyHistogram,
  latencySummary,
  recordMs,
  type Tally,
} from './stats.js';

/**
 * Runs a scenario against an ingest endpoint: requests go out on the open model's schedule
 * (`planner.ts`), each with its own Idempotency-Key, and are retried as the SDK retries them
 * (the SDK's own answer rules and backoff), so every event ends acknowledged, rejected, refused
 * or in doubt, and the verification can hold the store to the acknowledged count.
 */

const gzip = promisify<InputType, ZlibOptions, Buffer>(gzipCallback);

/** The metadata key every event of a run carries its run id under. */
export const RUN_ID_METADATA_KEY = 'load_run';
/**
 * And the request it was first sent in (a probe: `probe-<n>`): when a request's outcome is in
 * doubt, the verification counts that request's events alone, so the doubt never hides a loss.
 */
export const BATCH_METADATA_KEY = 'load_batch';

/** Events of one request whose outcome the run could not learn for all of them. */
export interface DoubtfulBatch {
  /** Its `metadata.load_batch`. */
  readonly batch: string;
  /** Its events a 2xx answer acknowledged. */
  readonly acknowledged: number;
  /** Its events whose last attempt got no answer, or an answer that may follow a write. */
  readonly inDoubt: number;
}

/** One project's part of the run, probes included. */
export interface ProjectOutcome {
  readonly acknowledged: number;
  readonly inDoubt: number;
  /** The requests that hold the in-doubt events. */
  readonly doubtful: readonly DoubtfulBatch[];
}

export interface LoadProject {
  readonly apiKey: string;
  /** How the report names it before the API has told us its project id. */
  readonly label: string;
}

export interface RunnerOptions {
  /** The deployment's base URL: `https://ingest.<region>.<domain>` or `http://127.0.0.1:8080`. */
  readonly url: string;
  /** One API key per project of the scenario. */
  readonly projects: readonly LoadProject[];
  readonly scenario: Scenario;
  readonly runId: string;
  /** Sockets per project. */
  readonly connections: number;
  readonly gzipLevel: number;
  readonly maxRetries: number;
  /** @default the SDK's: 1 s doubling to 30 s, with full jitter, never under Retry-After */
  readonly backoff?: BackoffPolicy;
  readonly timeoutMs: number;
  /** Requests open at once at most; a batch due beyond it is counted unsent rather than queued without bound. */
  readonly maxInFlight: number;
  readonly limits: BatchLimits;
  /**
   * `ahead`: every request is generated and compressed before the clock starts, so the
   * generator's CPU is not taken from a server on the same machine; `live`: as the schedule goes.
   */
  readonly generate: 'ahead' | 'live';
  readonly sizes: 'fixed' | 'spread';
  readonly seed: number;
  /** One event a second sent alone and read back through `/v1/traces/<id>`: freshness. */
  readonly probes: boolean;
  /** How long after the load the last probes are waited for. */
  readonly probeTimeoutMs: number;
  readonly onProgress?: (progress: Progress) => void;
  readonly progressIntervalMs?: number;
  /** Stops the schedule; requests in flight and their retries finish. */
  readonly signal?: AbortSignal;
}

/** One progress interval. */
export interface Progress {
  readonly elapsedSec: number;
  readonly phase: Phase;
  /** Events in requests that came due in the interval (batches make it uneven second to second). */
  readonly dueEventsPerSec: number;
  readonly acknowledgedPerSec: number;
  readonly errorAnswers: number;
  readonly inFlight: number;
  readonly latency: LatencySummary;
  /** Events acknowledged so far, all phases. */
  readonly acknowledged: number;
}

export interface PhaseResult {
  readonly phase: Phase;
  readonly tally: Tally;
  readonly latency: LatencySummary;
  /** Events acknowledged per second of the phase, for batches due in it. */
  readonly acknowledgedPerSec: number;
}

export interface RunResult {
  readonly runId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** Seconds from the first scheduled request to the last answer. */
  readonly elapsedSec: number;
  readonly scheduledSec: number;
  readonly generation: {
    readonly mode: 'ahead' | 'live';
    readonly seconds: number;
    readonly events: number;
    /** Of every event generated. */
    readonly meanEventBytes: number;
    /** This and the next two: of the requests sent, each at its first send (not its retries). */
    readonly meanRequestBytes: number;
    readonly meanEventsPerRequest: number;
    readonly compressionRatio: number;
  };
  readonly tally: Tally;
  /** Per project, in `projects` order: acknowledged and in-doubt events, probes included. */
  readonly perProject: readonly ProjectOutcome[];
  readonly phases: readonly PhaseResult[];
  readonly latency: LatencySummary;
  /**
   * How late requests were handed to the connection pool against when they were due: the
   * generator's own lag (compressing a batch made live, falling behind, a busy event loop).
   * Latency runs from the hand-off, so a server's slowness cannot delay the next requests (they
   * go on schedule) and the generator's lag is not counted as the server's.
   */
  readonly scheduleLag: LatencySummary;
  readonly acknowledgedPerSec: number;
  readonly freshness?: FreshnessResult;
  /** Earliest and latest event timestamp of the run, for the verification's window. */
  readonly firstEventAt: string;
  readonly lastEventAt: string;
}

/** A request on the schedule: its events as lines (live), or its compressed body alone (made ahead). */
interface Outgoing {
  readonly seq: number;
  readonly dueMs: number;
  readonly phase: number;
  readonly project: number;
  readonly count: number;
  /** Its NDJSON's size before compression. */
  readonly rawBytes: number;
  readonly lines?: readonly string[];
  readonly body?: Buffer;
}

const outgoing = (batch: PlannedBatch, body?: Buffer): Outgoing => ({
  seq: batch.seq,
  dueMs: batch.dueMs,
  phase: batch.phase,
  project: batch.project,
  count: batch.lines.length,
  rawBytes: batch.rawBytes,
  // Made ahead, only the body is kept (a third of the text's size); the lines come back from it
  // by gunzip for the rare retry of some of its events.
  ...(body ? { body } : { lines: batch.lines }),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Answers that say nothing was stored: after the last retry the events are refused. Any other
 * last answer (none at all, a 500, a 502 after a crash) may have followed a write: in doubt.
 */
const REFUSED_STATUSES = new Set([429, 503]);

export async function runLoad(options: RunnerOptions): Promise<RunResult> {
  const { scenario, limits } = options;
  if (options.projects.length !== scenario.projects) {
    throw new Error(
      `the scenario has ${scenario.projects} projects but ${options.projects.length} API keys were given`,
    );
  }
  const ingestUrl = new URL(INGEST_PATH, options.url);
  const transports = options.projects.map(
    (p) =>
      new HttpTransport({
        url: ingestUrl,
        apiKey: p.apiKey,
        timeoutMs: options.timeoutMs,
        maxSockets: options.connections,
        userAgent: 'evalforge-load/0.1.0',
      }),
  );

  // Every event: the realistic generator, fresh random ids, the run id in metadata, and a
  // timestamp at its place in the schedule.
  const generator = eventGenerator({
    seed: options.seed,
    sizes: options.sizes,
    metadata: { [RUN_ID_METADATA_KEY]: options.runId },
  });
  let wallStartMs = Date.now();
  let firstEventMs = Number.POSITIVE_INFINITY;
  let lastEventMs = Number.NEGATIVE_INFINITY;
  let eventBytes = 0;
  let eventCount = 0;
  const eventLine = (_project: number, atMs: number, seq: number) => {
    const at = wallStartMs + atMs;
    firstEventMs = Math.min(firstEventMs, at);
    lastEventMs = Math.max(lastEventMs, at);
    const line = JSON.stringify(
      generator.next(
        { trace_id: newTraceId(), span_id: newSpanId(), timestamp: new Date(at).toISOString() },
        { [BATCH_METADATA_KEY]: String(seq) },
      ),
    );
    eventBytes += line.length + 1;
    eventCount++;
    return line;
  };
  // What the requests sent carried, each counted once at its first send (not its retries).
  const sentRequests = { count: 0, events: 0, rawBytes: 0, bodyBytes: 0 };
  const encode = (lines: readonly string[]) => gzip(`${lines.join('\n')}\n`, { level: options.gzipLevel });

  // Generation ahead: the whole schedule, compressed on the thread pool before the clock starts.
  const generationStarted = performance.now();
  let schedule: Iterator<Outgoing>;
  if (options.generate === 'ahead') {
    const encoded: Outgoing[] = [];
    let chunk: PlannedBatch[] = [];
    const flush = async () => {
      encoded.push(
        ...(await Promise.all(chunk.map(async (batch) => outgoing(batch, await encode(batch.lines))))),
      );
      chunk = [];
    };
    for (const batch of planBatches(scenario, limits, eventLine)) {
      chunk.push(batch);
      if (chunk.length === 16) await flush();
    }
    await flush();
    schedule = encoded[Symbol.iterator]();
  } else {
    schedule = (function* () {
      for (const batch of planBatches(scenario, limits, eventLine)) yield outgoing(batch);
    })();
  }
  const generationSec = (performance.now() - generationStarted) / 1_000;
  if (options.generate === 'live') wallStartMs = Date.now();

  const tally = emptyTally();
  const phaseTallies = scenario.phases.map(() => emptyTally());
  const phaseLatency = scenario.phases.map(() => latencyHistogram());
  const latency = latencyHistogram();
  const scheduleLag = latencyHistogram();
  let intervalLatency = latencyHistogram();
  const perProject = options.projects.map(() => ({
    acknowledged: 0,
    inDoubt: 0,
    doubtful: [] as DoubtfulBatch[],
  }));
  /** What became of one request's events, its halves' and partial retries' included. */
  type Ledger = { acknowledged: number; inDoubt: number };
  const settleLedger = (project: number, batch: string, ledger: Ledger) => {
    const p = perProject[project];
    if (!p) return;
    p.acknowledged += ledger.acknowledged;
    p.inDoubt += ledger.inDoubt;
    if (ledger.inDoubt > 0) p.doubtful.push({ batch, ...ledger });
  };
  let inFlight = 0;
  const deliveries = new Set<Promise<void>>();

  const recordAnswer = (phase: number, status: string, ms: number) => {
    countInto(tally.statuses, status);
    countInto(phaseTallies[phase]?.statuses ?? {}, status);
    for (const h of [latency, phaseLatency[phase], intervalLatency] as (LatencyHistogram | undefined)[])
      if (h) recordMs(h, ms);
  };
  const add = (
    phase: number,
    field: 'acknowledged' | 'refused' | 'inDoubt' | 'sent' | 'unsent',
    n: number,
  ) => {
    tally[field] += n;
    const t = phaseTallies[phase];
    if (t) t[field] += n;
  };
  const reject = (phase: number, code: string, n: number) => {
    countInto(tally.rejected, code, n);
    countInto(phaseTallies[phase]?.rejected ?? {}, code, n);
  };

  /** Sends a request's events until each is acknowledged, rejected, refused or in doubt. */
  const deliver = async (out: Outgoing, dueAt: number, ledger: Ledger): Promise<void> => {
    const transport = transports[out.project] as HttpTransport;
    let body = out.body;
    let known = out.lines;
    const lines = (): readonly string[] => {
      known ??= gunzipSync(body as Buffer)
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== '');
      return known;
    };
    let count = out.count;
    let key = randomUUID();
    let startedAt = dueAt;
    let first = true;
    const halves = async () => {
      const all = lines();
      const middle = Math.ceil(all.length / 2);
      for (const part of [all.slice(0, middle), all.slice(middle)])
        await deliver(
          {
            ...out,
            count: part.length,
            rawBytes: part.reduce((n, line) => n + Buffer.byteLength(line) + 1, 0),
            lines: part,
            body: undefined,
          },
          performance.now(),
          ledger,
        );
    };
    for (let retry = 0; ; retry++) {
      body ??= await encode(lines());
      if (body.length > INGEST_LIMITS.maxBodyBytes && count > 1) {
        // Over the API's body limit: each half on its own, as the SDK splits.
        await halves();
        return;
      }
      if (first) {
        // Latency runs from here, the hand-off to the connection pool; the lag before it is the generator's.
        recordMs(scheduleLag, performance.now() - dueAt);
        startedAt = performance.now();
        first = false;
        sentRequests.count++;
        sentRequests.events += count;
        sentRequests.rawBytes += out.rawBytes;
        sentRequests.bodyBytes += body.length;
      }
      tally.requests++;
      const phase = phaseTallies[out.phase];
      if (phase) phase.requests++;
      let verdict: Verdict;
      let noAnswer = false;
      try {
        const response = await transport.send(body, new AbortController().signal, key);
        recordAnswer(out.phase, String(response.status), performance.now() - startedAt);
        verdict = judgeResponse(response, count, Date.now());
      } catch (error) {
        recordAnswer(out.phase, 'network error', performance.now() - startedAt);
        noAnswer = true;
        verdict = { kind: 'retry-all', status: undefined, retryAfterMs: undefined, reason: String(error) };
      }
      let again = 0;
      switch (verdict.kind) {
        case 'accepted':
          add(out.phase, 'acknowledged', count);
          ledger.acknowledged += count;
          return;
        case 'split':
          if (count === 1) reject(out.phase, `HTTP ${verdict.status}`, 1);
          else await halves();
          return;
        case 'reject-all':
          reject(out.phase, `HTTP ${verdict.status}`, count);
          return;
        case 'per-event': {
          const retry = new Set(verdict.retry);
          const rejected = new Set(verdict.rejected.map((r) => r.index));
          for (const r of verdict.rejected) reject(out.phase, r.code, 1);
          const accepted = count - retry.size - rejected.size;
          add(out.phase, 'acknowledged', accepted);
          ledger.acknowledged += accepted;
          if (retry.size > 0) {
            known = lines().filter((_, i) => retry.has(i));
            again = known.length;
          }
          // A different set of events is a new batch: a new key, as the SDK does.
          key = randomUUID();
          body = undefined;
          break;
        }
        case 'retry-all':
          again = count;
          break;
      }
      if (again === 0) return;
      count = again;
      if (retry >= options.maxRetries) {
        // Refused for good (the server said nothing was stored), or in doubt (no answer, or an error that may follow a write).
        const refused = verdict.status !== undefined && REFUSED_STATUSES.has(verdict.status) && !noAnswer;
        add(out.phase, refused ? 'refused' : 'inDoubt', count);
        if (!refused) ledger.inDoubt += count;
        return;
      }
      await sleep(retryDelayMs(retry, options.backoff ?? CLIENT_DEFAULTS, Math.random, verdict.retryAfterMs));
      tally.retries++;
      if (phase) phase.retries++;
      startedAt = performance.now();
    }
  };

  // Freshness probes: one event a second, alone, read back through the query API.
  const probes = options.probes
    ? new FreshnessProbes({
        url: options.url,
        apiKey: options.projects[0]?.apiKey ?? '',
        transport: transports[0] as HttpTransport,
        metadata: { [RUN_ID_METADATA_KEY]: options.runId },
        batchKey: BATCH_METADATA_KEY,
        seed: options.seed + 1,
        sizes: options.sizes,
        gzipLevel: options.gzipLevel,
        onOutcome: (o) => {
          firstEventMs = Math.min(firstEventMs, o.atMs);
          lastEventMs = Math.max(lastEventMs, o.atMs);
          settleLedger(0, o.batch, { acknowledged: o.acknowledged, inDoubt: o.inDoubt });
        },
      })
    : undefined;

  // The clock: each batch goes when it is due, whatever happened to the ones before it.
  const startedAt = new Date();
  const start = performance.now();
  const scheduledSec = scenario.phases.reduce((n, p) => n + p.durationSec, 0);
  const phaseEnds: number[] = [];
  for (const p of scenario.phases) phaseEnds.push((phaseEnds.at(-1) ?? 0) + p.durationSec * 1_000);
  const progressEvery = options.progressIntervalMs ?? 1_000;
  let nextProgress = progressEvery;
  let intervalOffered = 0;
  let intervalAcknowledged = tally.acknowledged;
  let intervalErrors = 0;
  let nextProbeMs = 0;
  let next = schedule.next();
  while (!next.done && !options.signal?.aborted) {
    const elapsed = performance.now() - start;
    while (!next.done && next.value.dueMs <= elapsed) {
      const out = next.value;
      for (const t of [tally, phaseTallies[out.phase]]) if (t) t.offered += out.count;
      intervalOffered += out.count;
      if (inFlight >= options.maxInFlight) {
        add(out.phase, 'unsent', out.count);
      } else {
        add(out.phase, 'sent', out.count);
        inFlight++;
        const ledger = { acknowledged: 0, inDoubt: 0 };
        const delivery = deliver(out, start + out.dueMs, ledger).finally(() => {
          settleLedger(out.project, String(out.seq), ledger);
          inFlight--;
          deliveries.delete(delivery);
        });
        deliveries.add(delivery);
      }
      next = schedule.next();
    }
    if (probes && elapsed >= nextProbeMs) {
      nextProbeMs += 1_000;
      probes.send();
    }
    if (elapsed >= nextProgress) {
      const seconds = (elapsed - (nextProgress - progressEvery)) / 1_000;
      const phaseIndex = phaseEnds.findIndex((end) => elapsed < end);
      const errorsNow = errorAnswers(tally.statuses);
      options.onProgress?.({
        elapsedSec: elapsed / 1_000,
        phase: scenario.phases[phaseIndex === -1 ? scenario.phases.length - 1 : phaseIndex] as Phase,
        dueEventsPerSec: intervalOffered / seconds,
        acknowledgedPerSec: (tally.acknowledged - intervalAcknowledged) / seconds,
        errorAnswers: errorsNow - intervalErrors,
        inFlight,
        latency: latencySummary(intervalLatency),
        acknowledged: tally.acknowledged,
      });
      intervalOffered = 0;
      intervalAcknowledged = tally.acknowledged;
      intervalErrors = errorsNow;
      intervalLatency = latencyHistogram();
      nextProgress += progressEvery;
    }
    const wait = next.done ? 0 : next.value.dueMs - (performance.now() - start);
    await sleep(Math.max(1, Math.min(wait, 10)));
  }
  while (deliveries.size > 0) await Promise.all([...deliveries]);
  const elapsedSec = (performance.now() - start) / 1_000;
  const endedAt = new Date();

  // The last probes: queryable once the pipeline caught up, or given up on at the deadline.
  const freshness = await probes?.finish(options.probeTimeoutMs);
  for (const t of transports) t.close();

  return {
    runId: options.runId,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    elapsedSec,
    scheduledSec,
    generation: {
      mode: options.generate,
      seconds: generationSec,
      events: eventCount,
      meanEventBytes: eventCount === 0 ? 0 : eventBytes / eventCount,
      meanRequestBytes: sentRequests.count === 0 ? 0 : sentRequests.bodyBytes / sentRequests.count,
      meanEventsPerRequest: sentRequests.count === 0 ? 0 : sentRequests.events / sentRequests.count,
      compressionRatio: sentRequests.bodyBytes === 0 ? 0 : sentRequests.rawBytes / sentRequests.bodyBytes,
    },
    tally,
    perProject,
    phases: scenario.phases.map((phase, i) => ({
      phase,
      tally: phaseTallies[i] ?? emptyTally(),
      latency: latencySummary(phaseLatency[i] ?? latencyHistogram()),
      acknowledgedPerSec: (phaseTallies[i]?.acknowledged ?? 0) / phase.durationSec,
    })),
    latency: latencySummary(latency),
    scheduleLag: latencySummary(scheduleLag),
    acknowledgedPerSec: tally.acknowledged / Math.max(scheduledSec, 1e-9),
    ...(freshness ? { freshness } : {}),
    firstEventAt: new Date(Number.isFinite(firstEventMs) ? firstEventMs : Date.now()).toISOString(),
    lastEventAt: new Date(Number.isFinite(lastEventMs) ? lastEventMs : Date.now()).toISOString(),
  };
}
