import { parseRetryAfterMs, retryDelayMs } from '../sdk/backoff.js';
import { BATCH_METADATA_KEY, type DoubtfulBatch, RUN_ID_METADATA_KEY } from './runner.js';

/**
 * The verification step: every event the API acknowledged must be in ClickHouse exactly once.
 * It asks the query API (`GET /v1/calls/count`, filtered on the run id every event carries in its
 * metadata) with each project's own key, the same way against `npm start` and a deployment, and
 * waits until the pipeline has caught up or the deadline passes.
 */

/** What the store holds for one project's part of the run. */
export interface StoredCount {
  /** Rows carrying the run id. */
  readonly calls: number;
  /** Distinct (trace_id, span_id) among them. */
  readonly distinctCalls: number;
  /** Distinct events stored of each of the project's doubtful requests, in `SentCount.doubtful` order, once read. */
  readonly doubtful?: readonly number[];
}

/** What the run knows of one project's events. */
export interface SentCount {
  readonly acknowledged: number;
  /** Events whose outcome the run could not learn: stored once or not at all is correct for them. */
  readonly inDoubt: number;
  /** The requests holding the in-doubt events, each counted on its own once the pipeline caught up. */
  readonly doubtful?: readonly DoubtfulBatch[];
}

export interface DeliveryVerdict {
  readonly acknowledged: number;
  readonly inDoubt: number;
  readonly stored: number;
  readonly distinct: number;
  /** Rows beyond the first of any event. Must be 0. */
  readonly duplicated: number;
  /** Acknowledged events certainly missing. Must be 0. */
  readonly lost: number;
  /**
   * Acknowledged events that may be missing: above `lost` only where one request holds both
   * acknowledged and in-doubt events and fewer of them are stored than both together.
   */
  readonly lostAtMost: number;
  /** Distinct events beyond every acknowledged and in-doubt one: stored though refused. Must be 0. */
  readonly unexpected: number;
  /** In-doubt events found stored, where their requests were counted on their own. */
  readonly inDoubtStored: number;
  /** No event lost, duplicated or unexpected, whatever the in-doubt ones did. */
  readonly ok: boolean;
}

/** Acknowledged `a`, in doubt `u`, stored `s` (distinct) of one group of events. */
function judgeGroup(a: number, u: number, s: number) {
  return {
    lost: Math.max(0, a - s),
    // At worst every in-doubt event is among the stored ones.
    lostAtMost: Math.max(0, a - Math.max(0, s - u)),
    unexpected: Math.max(0, s - a - u),
    inDoubtStored: Math.min(u, Math.max(0, s - a)),
  };
}

/**
 * Compares what was sent with what is stored, project by project (one project's surplus cannot
 * cover another's loss). A project's doubtful requests, once counted on their own, are judged
 * each by itself and the rest of its events together, so in-doubt events that were not stored
 * cannot pass for lost acknowledged ones, nor stored ones hide a loss elsewhere.
 */
export function judgeDelivery(sent: readonly SentCount[], stored: readonly StoredCount[]): DeliveryVerdict {
  if (sent.length !== stored.length) {
    throw new Error(`${sent.length} projects were sent to but ${stored.length} were counted`);
  }
  const total = {
    acknowledged: 0,
    inDoubt: 0,
    stored: 0,
    distinct: 0,
    lost: 0,
    lostAtMost: 0,
    unexpected: 0,
    inDoubtStored: 0,
  };
  for (const [i, s] of sent.entries()) {
    const c = stored[i] as StoredCount;
    total.acknowledged += s.acknowledged;
    total.inDoubt += s.inDoubt;
    total.stored += c.calls;
    total.distinct += c.distinctCalls;
    const doubtful = s.doubtful ?? [];
    const counted = c.doubtful !== undefined && c.doubtful.length === doubtful.length;
    const groups: [number, number, number][] = [];
    if (counted) {
      let a = s.acknowledged;
      let u = s.inDoubt;
      let d = c.distinctCalls;
      for (const [j, b] of doubtful.entries()) {
        const sb = c.doubtful?.[j] ?? 0;
        groups.push([b.acknowledged, b.inDoubt, sb]);
        a -= b.acknowledged;
        u -= b.inDoubt;
        d -= sb;
      }
      groups.push([a, u, d]);
    } else {
      groups.push([s.acknowledged, s.inDoubt, c.distinctCalls]);
    }
    for (const [a, u, d] of groups) {
      const g = judgeGroup(a, u, d);
      total.lost += g.lost;
      total.lostAtMost += g.lostAtMost;
      total.unexpected += g.unexpected;
      total.inDoubtStored += g.inDoubtStored;
    }
  }
  const duplicated = total.stored - total.distinct;
  return {
    ...total,
    duplicated,
    ok: duplicated === 0 && total.lostAtMost === 0 && total.unexpected === 0,
  };
}

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
}

export interface VerifyOptions {
  readonly url: string;
  readonly apiKeys: readonly string[];
  readonly runId: string;
  /** The run's first and last event timestamps; the count's window is a second wider each side. */
  readonly from: string;
  readonly to: string;
  readonly sent: readonly SentCount[];
  readonly timeoutMs: number;
  /** Between reads while the pipeline catches up. */
  readonly pollMs?: number;
  /** After everything acknowledged is there: one more read this much later, for late duplicates. */
  readonly settleMs?: number;
  readonly onPoll?: (verdict: DeliveryVerdict, waitedSec: number) => void;
}

export interface Verification extends DeliveryVerdict {
  /** Project ids as the API named them, in key order. */
  readonly projects: readonly string[];
  readonly perProject: readonly {
    readonly project: string;
    readonly acknowledged: number;
    readonly inDoubt: number;
    readonly calls: number;
    readonly distinctCalls: number;
    /** Requests whose events were counted on their own, for their in-doubt events. */
    readonly doubtfulRequests: number;
  }[];
  readonly waitedSec: number;
  /** False when the deadline passed before every acknowledged event was found. */
  readonly caughtUp: boolean;
  /** When the count first held every acknowledged event. */
  readonly caughtUpAt?: string;
}

interface CountAnswer {
  readonly project: string;
  readonly calls: number;
  readonly distinct_calls: number;
}

/** Answers worth asking again: the query API is busy or ClickHouse is catching its breath. */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

async function countOnce(
  options: VerifyOptions,
  apiKey: string,
  deadline: number,
  batch?: string,
): Promise<{ project: string } & StoredCount> {
  const url = new URL('/v1/calls/count', options.url);
  url.searchParams.set('from', new Date(Date.parse(options.from) - 1_000).toISOString());
  url.searchParams.set('to', new Date(Date.parse(options.to) + 1_000).toISOString());
  url.searchParams.set(`metadata.${RUN_ID_METADATA_KEY}`, options.runId);
  if (batch !== undefined) url.searchParams.set(`metadata.${BATCH_METADATA_KEY}`, batch);
  for (let attempt = 0; ; attempt++) {
    let response: Response | undefined;
    let failure: string;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      });
      const text = await response.text();
      if (response.status === 200) {
        let body: CountAnswer;
        try {
          body = JSON.parse(text) as CountAnswer;
        } catch {
          throw new VerificationError(
            `GET ${url.pathname} answered 200 with a body that is not JSON: ${text.slice(0, 300)}`,
          );
        }
        if (typeof body.calls !== 'number' || typeof body.distinct_calls !== 'number') {
          throw new VerificationError(
            `GET ${url.pathname} answered without calls and distinct_calls: ${text.slice(0, 300)}`,
          );
        }
        return { project: body.project, calls: body.calls, distinctCalls: body.distinct_calls };
      }
      failure = `the query API answered ${response.status} to GET ${url.pathname}: ${text.slice(0, 300)}`;
      if (!RETRY_STATUSES.has(response.status)) throw new VerificationError(failure);
    } catch (error) {
      if (error instanceof VerificationError) throw error;
      failure = `could not reach the query API at ${url.origin}: ${(error as Error).message}`;
    }
    const retryAfterMs = parseRetryAfterMs(response?.headers.get('retry-after') ?? undefined, Date.now());
    const delay = retryDelayMs(
      attempt,
      { initialBackoffMs: 250, maxBackoffMs: 5_000 },
      Math.random,
      retryAfterMs,
    );
    if (Date.now() + delay > deadline) throw new VerificationError(`${failure} (gave up at the deadline)`);
    await sleep(delay);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts until every acknowledged event is stored (then once more) or the deadline passes. */
export async function verifyDelivery(options: VerifyOptions): Promise<Verification> {
  const started = performance.now();
  const pollMs = options.pollMs ?? 1_000;
  const settleMs = options.settleMs ?? 2_000;
  const deadline = Date.now() + options.timeoutMs;
  // One project after another: the query API's concurrency is a deployment's to share.
  const read = async () => {
    const counts: ({ project: string } & StoredCount)[] = [];
    for (const key of options.apiKeys) counts.push(await countOnce(options, key, deadline + settleMs));
    return counts;
  };
  let counts = await read();
  let verdict = judgeDelivery(options.sent, counts);
  let caughtUpAt = verdict.lost === 0 ? new Date() : undefined;
  let lastDistinct = verdict.distinct;
  let stableSince = performance.now();
  // With events in doubt, wait for them too until the count stops moving for a few reads.
  const done = () =>
    verdict.lost === 0 && (verdict.inDoubt === 0 || performance.now() - stableSince >= settleMs * 5);
  while (!done() && performance.now() - started < options.timeoutMs) {
    options.onPoll?.(verdict, (performance.now() - started) / 1_000);
    await sleep(pollMs);
    counts = await read();
    verdict = judgeDelivery(options.sent, counts);
    if (verdict.lost === 0) caughtUpAt ??= new Date();
    if (verdict.distinct !== lastDistinct) {
      lastDistinct = verdict.distinct;
      stableSince = performance.now();
    }
  }
  const caughtUp = verdict.lost === 0;
  if (caughtUp) {
    await sleep(settleMs);
    const totals = await read();
    // Each doubtful request's events on their own: which of the in-doubt events were stored.
    counts = [];
    for (const [i, total] of totals.entries()) {
      const doubtful: number[] = [];
      for (const b of options.sent[i]?.doubtful ?? [])
        doubtful.push(
          (await countOnce(options, options.apiKeys[i] as string, deadline + settleMs, b.batch))
            .distinctCalls,
        );
      counts.push({ ...total, doubtful });
    }
    verdict = judgeDelivery(options.sent, counts);
  }
  return {
    ...verdict,
    projects: counts.map((c) => c.project),
    perProject: counts.map((c, i) => ({
      project: c.project,
      acknowledged: options.sent[i]?.acknowledged ?? 0,
      inDoubt: options.sent[i]?.inDoubt ?? 0,
      calls: c.calls,
      distinctCalls: c.distinctCalls,
      doubtfulRequests: options.sent[i]?.doubtful?.length ?? 0,
    })),
    waitedSec: (performance.now() - started) / 1_000,
    caughtUp,
    ...(caughtUp && caughtUpAt ? { caughtUpAt: caughtUpAt.toISOString() } : {}),
  };
}
