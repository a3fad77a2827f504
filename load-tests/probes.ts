import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback, type InputType, type ZlibOptions } from 'node:zlib';
import { type EventGenerator, eventGenerator } from '../lib/workloads/event-generator.js';
import { newSpanId, newTraceId } from '../sdk/ids.js';
import { judgeResponse } from '../sdk/response.js';
import type { HttpTransport } from '../sdk/transport.js';
import { latencyHistogram, latencySummary, recordMs } from './stats.js';

/**
 * Freshness: one event at a time, sent alone, then asked for through the query API
 * (`GET /v1/traces/<id>`) until it comes back. Acknowledgement → queryable is what a dashboard
 * user waits for. Probes carry the run's metadata, so the verification counts them too.
 */

const gzip = promisify<InputType, ZlibOptions, Buffer>(gzipCallback);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface FreshnessResult {
  readonly probes: number;
  readonly acknowledged: number;
  /** Acknowledged probes the query API had not returned by the deadline. */
  readonly neverSeen: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export interface ProbeOutcome {
  /** `probe-<n>`: its `metadata.load_batch`. */
  readonly batch: string;
  readonly acknowledged: number;
  readonly inDoubt: number;
  /** When its event was timestamped, epoch ms. */
  readonly atMs: number;
}

export class FreshnessProbes {
  readonly #generator: EventGenerator;
  readonly #latency = latencyHistogram();
  readonly #pending = new Map<string, number>();
  readonly #sending = new Set<Promise<void>>();
  #sent = 0;
  #acknowledged = 0;
  #polling = true;
  readonly #poller: Promise<void>;

  constructor(
    private readonly options: {
      readonly url: string;
      readonly apiKey: string;
      readonly transport: HttpTransport;
      readonly metadata: Readonly<Record<string, string>>;
      /** The metadata key a probe's `probe-<n>` goes under. */
      readonly batchKey: string;
      readonly seed: number;
      readonly sizes: 'fixed' | 'spread';
      readonly gzipLevel: number;
      /** Each probe's outcome once its answer (or its lack) is known. */
      readonly onOutcome: (outcome: ProbeOutcome) => void;
      /** Between reads of the query API. @default 200 */
      readonly pollMs?: number;
    },
  ) {
    this.#generator = eventGenerator({
      seed: options.seed,
      sizes: options.sizes,
      metadata: options.metadata,
    });
    this.#poller = this.#poll();
  }

  /** Sends one probe now. */
  send(): void {
    const sending = this.#sendOne().finally(() => this.#sending.delete(sending));
    this.#sending.add(sending);
  }

  async #sendOne(): Promise<void> {
    this.#sent++;
    const batch = `probe-${this.#sent}`;
    const traceId = newTraceId();
    const atMs = Date.now();
    const line = JSON.stringify(
      this.#generator.next(
        { trace_id: traceId, span_id: newSpanId(), timestamp: new Date(atMs).toISOString() },
        { [this.options.batchKey]: batch },
      ),
    );
    try {
      const body = await gzip(`${line}\n`, { level: this.options.gzipLevel });
      const response = await this.options.transport.send(body, new AbortController().signal, randomUUID());
      const verdict = judgeResponse(response, 1, Date.now());
      if (verdict.kind === 'accepted') {
        this.#acknowledged++;
        this.#pending.set(traceId, performance.now());
        this.options.onOutcome({ batch, acknowledged: 1, inDoubt: 0, atMs });
      } else if (verdict.kind === 'retry-all' && verdict.status !== 429 && verdict.status !== 503) {
        // A 5xx that may follow a write: stored or not.
        this.options.onOutcome({ batch, acknowledged: 0, inDoubt: 1, atMs });
      } else {
        this.options.onOutcome({ batch, acknowledged: 0, inDoubt: 0, atMs });
      }
    } catch {
      // No answer: stored or not.
      this.options.onOutcome({ batch, acknowledged: 0, inDoubt: 1, atMs });
    }
  }

  async #poll(): Promise<void> {
    while (this.#polling || this.#pending.size > 0) {
      for (const [traceId, ackedAt] of [...this.#pending]) {
        const response = await fetch(new URL(`/v1/traces/${traceId}`, this.options.url), {
          headers: { authorization: `Bearer ${this.options.apiKey}` },
        }).catch(() => undefined);
        if (response?.status === 200) {
          recordMs(this.#latency, performance.now() - ackedAt);
          this.#pending.delete(traceId);
        }
        await response?.arrayBuffer().catch(() => undefined);
      }
      await sleep(this.options.pollMs ?? 200);
    }
  }

  /** Waits for the probes in flight, then for the last ones to be queryable, up to `timeoutMs`. */
  async finish(timeoutMs: number): Promise<FreshnessResult> {
    await Promise.all([...this.#sending]);
    this.#polling = false;
    const deadline = setTimeout(() => this.#pending.clear(), timeoutMs);
    await this.#poller;
    clearTimeout(deadline);
    const seen = latencySummary(this.#latency);
    return {
      probes: this.#sent,
      acknowledged: this.#acknowledged,
      neverSeen: this.#acknowledged - seen.count,
      p50Ms: seen.p50Ms,
      p95Ms: seen.p95Ms,
      maxMs: seen.maxMs,
    };
  }
}
