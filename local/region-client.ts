import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_REGION_HEADER, SERVED_BY_HEADER } from './region-router.js';

/**
 * A client of one project in one region, for the simulation across regions (its test and its
 * benchmark), sending through the region router as an application would with the SDK: batches of events, each request with an Idempotency-Key kept across its
 * retries, every failure (a 5xx, a 429, a connection that broke) retried until the batch is
 * acknowledged. Every acknowledged event is recorded, with when it was and which region took it.
 */

export interface AckedEvent {
  readonly traceId: string;
  readonly spanId: string;
  /** When the answer came, epoch ms. */
  readonly ackedAt: number;
  /** The region that answered (`x-evalforge-region`). */
  readonly acceptedIn: string;
  /** The first event of its request, marked `metadata.probe = "1"`: what a lag poll looks for. */
  readonly probe: boolean;
}

export interface RegionClientOptions {
  readonly routerUrl: string;
  readonly apiKey: string;
  /** Where the client is: the router sends it to this region while it is healthy. */
  readonly clientRegion: string;
  readonly eventsPerRequest: number;
  /** Requests started per second; each waits for its answer (and retries) before the next is due. */
  readonly requestsPerSec: number;
  /** Put in every event's metadata (`metadata.run`), so a count finds this run's events. */
  readonly runId: string;
  readonly retryDelayMs?: number;
}

/** One event as the ingest API takes it; a probe carries `metadata.probe = "1"`. */
export function regionEvent(runId: string, sequence: number, probe = false): Record<string, unknown> {
  return {
    trace_id: randomBytes(16).toString('hex'),
    span_id: randomBytes(8).toString('hex'),
    timestamp: new Date().toISOString(),
    model: 'gpt-4o-mini',
    latency_ms: 100 + (sequence % 50),
    input_tokens: 10,
    output_tokens: 20,
    status: 'ok',
    prompt: `prompt ${sequence}`,
    response: `response ${sequence}`,
    metadata: { run: runId, sequence, ...(probe ? { probe: '1' } : {}) },
  };
}

/** Sends one batch until it is acknowledged, or `signal` aborts; returns the region that took it. */
export async function sendUntilAcknowledged(
  options: Pick<RegionClientOptions, 'routerUrl' | 'apiKey' | 'clientRegion' | 'retryDelayMs'>,
  events: readonly Record<string, unknown>[],
  signal: AbortSignal,
  onRetry: (reason: string) => void = () => undefined,
): Promise<string> {
  const idempotencyKey = randomUUID();
  const body = JSON.stringify({ events });
  for (;;) {
    signal.throwIfAborted();
    let reason: string;
    try {
      const response = await fetch(`${options.routerUrl}/v1/events`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
          [CLIENT_REGION_HEADER]: options.clientRegion,
        },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
      });
      const text = await response.text();
      if (response.status === 200) {
        const answer = JSON.parse(text) as { accepted: number };
        if (answer.accepted !== events.length) {
          throw new Error(`only ${answer.accepted} of ${events.length} events accepted: ${text}`);
        }
        return response.headers.get(SERVED_BY_HEADER) ?? 'unknown';
      }
      if (response.status < 500 && response.status !== 429) {
        throw new Error(`refused for good: ${response.status} ${text}`);
      }
      reason = `${response.status} ${text.slice(0, 200)}`;
    } catch (error) {
      if (
        signal.aborted ||
        (error as Error).message.startsWith('refused') ||
        (error as Error).message.startsWith('only')
      ) {
        throw error;
      }
      reason = (error as Error).message;
    }
    onRetry(reason);
    await sleep(options.retryDelayMs ?? 200, undefined, { signal });
  }
}

/** A client sending on a schedule until `stop()`; `acked` holds what was acknowledged. */
export class RegionClient {
  readonly acked: AckedEvent[] = [];
  readonly retries: string[] = [];
  private readonly abort = new AbortController();
  private stopping = false;
  private readonly loop: Promise<void>;
  private sequence = 0;

  constructor(private readonly options: RegionClientOptions) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const { options } = this;
    const periodMs = 1_000 / options.requestsPerSec;
    let due = Date.now();
    while (!this.stopping) {
      const events = Array.from({ length: options.eventsPerRequest }, (_, i) =>
        regionEvent(options.runId, this.sequence++, i === 0),
      );
      const region = await sendUntilAcknowledged(options, events, this.abort.signal, (reason) =>
        this.retries.push(reason),
      );
      const ackedAt = Date.now();
      events.forEach((e, i) => {
        this.acked.push({
          traceId: e.trace_id as string,
          spanId: e.span_id as string,
          ackedAt,
          acceptedIn: region,
          probe: i === 0,
        });
      });
      due += periodMs;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else due = Date.now();
    }
  }

  /** Stops after the batch in flight is acknowledged; rejects if it could not be within `timeoutMs`. */
  async stop(timeoutMs = 60_000): Promise<void> {
    this.stopping = true;
    const timer = setTimeout(
      () => this.abort.abort(new Error(`not acknowledged within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await this.loop;
    } finally {
      clearTimeout(timer);
    }
  }
}
