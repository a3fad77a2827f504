import type { Scenario } from './scenarios.js';

/**
 * The open model's schedule, worked out in virtual time: events arrive at each phase's constant
 * rate whatever the server answers, and are batched per project the way the SDK batches them
 * (by count, by bytes, and after `flushIntervalMs` for a batch that does not fill). A batch is due
 * when it closes; the runner sends it then, on time, even if earlier requests are unanswered.
 */

export interface BatchLimits {
  /** Events per request: the SDK's `maxBatchEvents`. */
  readonly maxEvents: number;
  /** Uncompressed NDJSON bytes at which a request closes, so its gzip body stays under the API's 1 MB. */
  readonly maxRawBytes: number;
  /** A batch that does not fill is sent this long after its first event: the SDK's `flushIntervalMs`. */
  readonly flushIntervalMs: number;
}

export interface PlannedBatch {
  /** Its number in the run, from 0 in the order batches open: every event of it carries it. */
  readonly seq: number;
  /** Milliseconds from the start of the run at which it is sent. */
  readonly dueMs: number;
  /** Index of the phase its first event arrived in. */
  readonly phase: number;
  /** Index of the project (the API key) it is sent with. */
  readonly project: number;
  /** One NDJSON line per event, without the newline. */
  readonly lines: readonly string[];
  readonly rawBytes: number;
}

/** An event as one NDJSON line, for `project`, arriving `atMs` after the start of the run, in batch `seq`. */
export type EventLine = (project: number, atMs: number, seq: number) => string;

interface OpenBatch {
  readonly seq: number;
  readonly phase: number;
  readonly project: number;
  readonly firstAtMs: number;
  readonly lines: string[];
  rawBytes: number;
}

/**
 * Project weights ∝ 1/(i+1), as traffic is spread in practice: a few large projects and a tail.
 * With 3 projects: 55%, 27%, 18%.
 */
export function projectWeights(projects: number): number[] {
  const raw = Array.from({ length: projects }, (_, i) => 1 / (i + 1));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

/**
 * Picks projects by weight deterministically (largest remainder): after n events, each project
 * has had its share of n within one event, so short runs spread exactly as long ones.
 */
export function projectPicker(projects: number): () => number {
  const weights = projectWeights(projects);
  const credit = new Array<number>(projects).fill(0);
  return () => {
    let best = 0;
    for (let i = 0; i < projects; i++) {
      credit[i] = (credit[i] ?? 0) + (weights[i] ?? 0);
      if ((credit[i] ?? 0) > (credit[best] ?? 0)) best = i;
    }
    credit[best] = (credit[best] ?? 0) - 1;
    return best;
  };
}

/** Batches in the order they are due. Lazy: an event's line is made when the schedule reaches it. */
export function* planBatches(
  scenario: Scenario,
  limits: BatchLimits,
  eventLine: EventLine,
): Generator<PlannedBatch> {
  const pick = projectPicker(scenario.projects);
  const open = new Map<number, OpenBatch>();
  const close = (batch: OpenBatch, dueMs: number): PlannedBatch => {
    open.delete(batch.project);
    return {
      seq: batch.seq,
      dueMs,
      phase: batch.phase,
      project: batch.project,
      lines: batch.lines,
      rawBytes: batch.rawBytes,
    };
  };
  /** Batches whose flush interval ran out by `atMs`, oldest first. */
  function* lingering(atMs: number): Generator<PlannedBatch> {
    const expired = [...open.values()]
      .filter((b) => b.firstAtMs + limits.flushIntervalMs <= atMs)
      .sort((a, b) => a.firstAtMs - b.firstAtMs);
    for (const batch of expired) yield close(batch, batch.firstAtMs + limits.flushIntervalMs);
  }

  let nextSeq = 0;
  let phaseStartMs = 0;
  for (const [phaseIndex, phase] of scenario.phases.entries()) {
    const events = Math.round(phase.eventsPerSec * phase.durationSec);
    const intervalMs = 1_000 / phase.eventsPerSec;
    for (let k = 0; k < events; k++) {
      const atMs = phaseStartMs + k * intervalMs;
      yield* lingering(atMs);
      const project = pick();
      let batch = open.get(project);
      if (!batch) {
        batch = { seq: nextSeq++, phase: phaseIndex, project, firstAtMs: atMs, lines: [], rawBytes: 0 };
        open.set(project, batch);
      }
      const line = eventLine(project, atMs, batch.seq);
      batch.lines.push(line);
      batch.rawBytes += Buffer.byteLength(line) + 1;
      // Full by count, or by bytes once they reach the budget (the SDK keeps the body's hard limit
      // by splitting, and so does the runner).
      if (batch.lines.length >= limits.maxEvents || batch.rawBytes >= limits.maxRawBytes)
        yield close(batch, atMs);
    }
    phaseStartMs += phase.durationSec * 1_000;
  }
  // The last batches go when their flush interval runs out, as the SDK's timer sends them.
  yield* lingering(Number.POSITIVE_INFINITY);
}
