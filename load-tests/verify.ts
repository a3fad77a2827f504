import { parseRetryAfterMs, retryDelayMs } from '../sdk/backoff.js';
import { RUN_ID_METADATA_KEY } from './runner.js';

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
}

/** What the run knows of one project's events. */
export interface SentCount {
  readonly acknowledged: number;
  /** Events whose outcome the run could not learn: stored once or not at all is correct for them. */
  readonly inDoubt: number;
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
  /** Acknowledged events that may be missing: above `lost` only when some events are in doubt. */
  readonly lostAtMost: number;
  /** Distinct events beyond every acknowledged and in-doubt one: stored though refused. Must be 0. */
  readonly unexpected: number;
  /** No event lost, duplicated or unexpected, whatever the in-doubt ones did. */
  readonly ok: boolean;
}

/** Compares what was sent with what is stored, project by project (the counts must line up). */
export function judgeDelivery(sent: readonly SentCount[], stored: readonly StoredCount[]): DeliveryVerdict {
  if (sent.length !== stored.length) {
    throw new Error(`${sent.length} projects were sent to but ${stored.length} were counted`);
  }
  let acknowledged = 0;
  let inDoubt = 0;
  let storedRows = 0;
  let distinct = 0;
  let lost = 0;
  let lostAtMost = 0;
  let unexpected = 0;
  for (const [i, s] of sent.entries()) {
    const c = stored[i] as StoredCount;
    acknowledged += s.acknowledged;
    inDoubt += s.inDoubt;
    storedRows += c.calls;
    distinct += c.distinctCalls;
    lost += Math.max(0, s.acknowledged - c.distinctCalls);
    // At worst every in-doubt event is among the stored ones.
    lostAtMost += Math.max(0, s.acknowledged - Math.max(0, c.distinctCalls - s.inDoubt));
    unexpected += Math.max(0, c.distinctCalls - s.acknowledged - s.inDoubt);
  }
  const duplicated = storedRows - distinct;
  return {
    acknowledged,
    inDoubt,
    stored: storedRows,
    distinct,
    duplicated,
    lost,
    lostAtMost,
    unexpected,
    ok: duplicated === 0 && lostAtMost === 0 && unexpected === 0,
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
  readonly perProject: readonly (StoredCount & SentCount & { readonly project: string })[];
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
): Promise<{ project: string } & StoredCount> {
  const url = new URL('/v1/calls/count', options.url);
  url.searchParams.set('from', new Date(Date.parse(options.from) - 1_000).toISOString());
  url.searchParams.set('to', new Date(Date.parse(options.to) + 1_000).toISOString());
  url.searchParams.set(`metadata.${RUN_ID_METADATA_KEY}`, options.runId);
  for (let attempt = 0; ; attempt++) {
    let response: Response | undefined;
    let failure: string;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      });
      const text = await response.text();
      if (response.status === 200) {
        const body = JSON.parse(text) as CountAnswer;
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
    for (const key of options.apiKeys)
      counts.push(await countOnce(options, key, deadline + (options.settleMs ?? 2_000)));
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
    counts = await read();
    verdict = judgeDelivery(options.sent, counts);
  }
  return {
    ...verdict,
    projects: counts.map((c) => c.project),
    perProject: counts.map((c, i) => ({ ...c, ...(options.sent[i] as SentCount) })),
    waitedSec: (performance.now() - started) / 1_000,
    caughtUp,
    ...(caughtUp && caughtUpAt ? { caughtUpAt: caughtUpAt.toISOString() } : {}),
  };
}
