import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback, type InputType, type ZlibOptions } from 'node:zlib';
import {
  describeIssues,
  EVENT_LIMITS,
  type EventInput,
  EventSchema,
} from '../functions/shared/contract/event.js';
import { type EventErrorCode, INGEST_LIMITS } from '../functions/shared/contract/ingest-api.js';
import { retryDelayMs } from './backoff.js';
import { Deque } from './deque.js';
import { resolveIngestUrl } from './endpoint.js';
import { EvalForgeConfigError, EvalForgeRequestError } from './errors.js';
import { newSpanId, newTraceId } from './ids.js';
import { judgeResponse, type Verdict } from './response.js';
import { HttpTransport } from './transport.js';

const gzip = promisify<InputType, ZlibOptions, Buffer>(gzipCallback);

export const SDK_VERSION = '0.1.0';

/** What happens to an event captured while the queue is full. */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest';

/** Why events were not delivered. */
export type DropCode =
  /** A final per-event answer of the server, or (`invalid_event`, `event_too_large`) the client's own check. */
  | EventErrorCode
  /** The queue was at `maxQueueEvents` or `maxQueueBytes`. */
  | 'queue_full'
  /** The server refused the whole request for good (400, 401, 403, 404, 415…). */
  | 'request_rejected'
  /** Still failing after `maxRetries` retries. */
  | 'retries_exhausted'
  /** Captured after `shutdown()`, or still undelivered when its timeout ran out. */
  | 'shutdown'
  /** A defect in the client; reported rather than leaked. */
  | 'internal_error';

/** Passed to `onDrop`: events that will not be delivered, and why. */
export interface DroppedEvents {
  /** The events as they were (or would have been) sent, ids and timestamp filled in. */
  readonly events: readonly EventInput[];
  readonly code: DropCode;
  /** A sentence a person can act on: the contract's reason, the server's message… */
  readonly reason: string;
  /** The HTTP status of the answer behind the drop, when there was one. */
  readonly status?: number;
}

/** An event as `capture()` takes it: ids and timestamp may be left out. */
export type CaptureEvent = Omit<EventInput, 'trace_id' | 'span_id' | 'timestamp'> & {
  /** @default - a random W3C trace id */
  trace_id?: string;
  /** @default - a random W3C span id */
  span_id?: string;
  /** @default - the time of the `capture()` call */
  timestamp?: EventInput['timestamp'] | Date;
};

/** Fields `traceLlmCall` can take from the call's result. */
export type LlmCallResultFields = Partial<
  Pick<
    CaptureEvent,
    | 'model'
    | 'input_tokens'
    | 'output_tokens'
    | 'tokens_used'
    | 'cost_cents'
    | 'response'
    | 'metadata'
    | 'tags'
    | 'name'
  >
>;

/** What `traceLlmCall` records besides what it measures. */
export type LlmCallMeta<T> = Omit<CaptureEvent, 'latency_ms' | 'status' | 'error_message'> & {
  /** Reads tokens, the response and so on from a successful call's result. */
  extract?: (result: T) => LlmCallResultFields | undefined;
};

export interface EvalForgeClientOptions {
  /** An EvalForge API key (`efk_…`); sent as `Authorization: Bearer`. */
  readonly apiKey: string;
  /** The ingest API's base URL, like `https://ingest.example.com`. Exactly one of `endpoint` and `region`. */
  readonly endpoint?: string | URL;
  /** A region such as `eu-west-1`, turned into a URL with `regionEndpointTemplate`. */
  readonly region?: string;
  /** The DNS zone the deployment answers on (`example.com`); needed with `region`. */
  readonly domain?: string;
  /** @default - `REGION_ENDPOINT_TEMPLATE`, `https://ingest.{region}.{domain}` */
  readonly regionEndpointTemplate?: string;
  /** Set on every event that names no project. @default - none: the server uses the key's project */
  readonly projectId?: string;
  /** @default 500 */
  readonly maxBatchEvents?: number;
  /** Uncompressed NDJSON bytes per request. @default 8 MiB */
  readonly maxBatchBytes?: number;
  /** A partial batch waits at most this long. @default 1000 */
  readonly flushIntervalMs?: number;
  /** Events held (waiting or in flight) at most. @default 10000 */
  readonly maxQueueEvents?: number;
  /** Serialized bytes held (waiting or in flight) at most. @default 64 MiB */
  readonly maxQueueBytes?: number;
  /** @default 'drop-newest' */
  readonly overflow?: OverflowPolicy;
  /** Retries per batch after the first attempt. @default 5 */
  readonly maxRetries?: number;
  /** @default 1000 */
  readonly initialBackoffMs?: number;
  /** @default 30000 */
  readonly maxBackoffMs?: number;
  /** From the first byte sent to the last received. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** @default 2 */
  readonly maxConcurrentRequests?: number;
  /** @default 6 */
  readonly gzipLevel?: number;
  /** Called for every event that will not be delivered. Must not throw (if it does, `onError` hears of it). */
  readonly onDrop?: (dropped: DroppedEvents) => void;
  /** Diagnostics: failed requests (retried or not) and errors thrown by callbacks. */
  readonly onError?: (error: Error) => void;
  /** Epoch milliseconds, for default timestamps and Retry-After dates. @default Date.now */
  readonly now?: () => number;
  /** A number in [0, 1), for backoff jitter. @default Math.random */
  readonly random?: () => number;
}

/** Defaults of `EvalForgeClientOptions`. */
export const CLIENT_DEFAULTS = {
  maxBatchEvents: 500,
  maxBatchBytes: 8 * 1024 * 1024,
  flushIntervalMs: 1_000,
  maxQueueEvents: 10_000,
  maxQueueBytes: 64 * 1024 * 1024,
  overflow: 'drop-newest',
  maxRetries: 5,
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  requestTimeoutMs: 10_000,
  maxConcurrentRequests: 2,
  gzipLevel: 6,
  shutdownTimeoutMs: 10_000,
} as const;

/** Counters since the client was created. */
export interface ClientStats {
  /** Events accepted into the queue. */
  readonly captured: number;
  /** Events the server accepted. */
  readonly sent: number;
  /** Events reported to `onDrop`. */
  readonly dropped: number;
  readonly droppedByCode: Readonly<Partial<Record<DropCode, number>>>;
  readonly requests: number;
  /** Requests that were sends again of (part of) an earlier request. */
  readonly retries: number;
  /** Batches split in halves because they were over the body limit or answered 413. */
  readonly batchSplits: number;
  /** Events held, waiting or in flight; never above `maxQueueEvents`. */
  readonly queuedEvents: number;
  /** Their serialized size; never above `maxQueueBytes`. */
  readonly queuedBytes: number;
  /** Of `queuedEvents`, those in a request being sent or waiting to be retried. */
  readonly inFlightEvents: number;
}

type ResolvedOptions = Required<
  Omit<
    EvalForgeClientOptions,
    'endpoint' | 'region' | 'domain' | 'regionEndpointTemplate' | 'projectId' | 'onDrop' | 'onError'
  >
> &
  Pick<EvalForgeClientOptions, 'projectId' | 'onDrop' | 'onError'>;

/** One captured event: its NDJSON line, serialized once at capture. */
interface Entry {
  /** Capture order, for `flush()`. */
  readonly seq: number;
  readonly line: string;
  /** UTF-8 bytes of the line and its newline. */
  readonly bytes: number;
  /** Sent or dropped: no longer held. */
  settled: boolean;
}

interface FlushWaiter {
  /** The last seq captured before the flush. */
  readonly target: number;
  /** Unsettled events with seq <= target. */
  remaining: number;
  readonly finish: (done: boolean) => void;
}

/** A body is aimed at this share of the server's limit, so that splitting stays rare. */
const BODY_TARGET_BYTES = Math.floor(INGEST_LIMITS.maxBodyBytes * 0.9);
const MIN_COMPRESSION_RATIO = 0.02;

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER, min = 1): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EvalForgeConfigError(`${name} must be a whole number from ${min} to ${max} (got ${value})`);
  }
  return value;
}

function resolveOptions(options: EvalForgeClientOptions): ResolvedOptions {
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
    throw new EvalForgeConfigError('apiKey is required');
  }
  const d = CLIENT_DEFAULTS;
  const overflow = options.overflow ?? d.overflow;
  if (overflow !== 'drop-newest' && overflow !== 'drop-oldest') {
    throw new EvalForgeConfigError(
      `overflow must be "drop-newest" or "drop-oldest" (got ${String(overflow)})`,
    );
  }
  const initialBackoffMs = positiveInteger(
    'initialBackoffMs',
    options.initialBackoffMs ?? d.initialBackoffMs,
  );
  return {
    apiKey: options.apiKey,
    projectId: options.projectId,
    maxBatchEvents: positiveInteger(
      'maxBatchEvents',
      options.maxBatchEvents ?? d.maxBatchEvents,
      INGEST_LIMITS.maxEventsPerRequest,
    ),
    maxBatchBytes: positiveInteger(
      'maxBatchBytes',
      options.maxBatchBytes ?? d.maxBatchBytes,
      INGEST_LIMITS.maxDecompressedBytes / 2,
    ),
    flushIntervalMs: positiveInteger(
      'flushIntervalMs',
      options.flushIntervalMs ?? d.flushIntervalMs,
      2 ** 31 - 1,
    ),
    maxQueueEvents: positiveInteger('maxQueueEvents', options.maxQueueEvents ?? d.maxQueueEvents),
    maxQueueBytes: positiveInteger('maxQueueBytes', options.maxQueueBytes ?? d.maxQueueBytes),
    overflow,
    maxRetries: positiveInteger('maxRetries', options.maxRetries ?? d.maxRetries, 100, 0),
    initialBackoffMs,
    maxBackoffMs: positiveInteger(
      'maxBackoffMs',
      options.maxBackoffMs ?? Math.max(d.maxBackoffMs, initialBackoffMs),
      2 ** 31 - 1,
      initialBackoffMs,
    ),
    requestTimeoutMs: positiveInteger(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? d.requestTimeoutMs,
      2 ** 31 - 1,
    ),
    maxConcurrentRequests: positiveInteger(
      'maxConcurrentRequests',
      options.maxConcurrentRequests ?? d.maxConcurrentRequests,
      16,
    ),
    gzipLevel: positiveInteger('gzipLevel', options.gzipLevel ?? d.gzipLevel, 9, 0),
    onDrop: options.onDrop,
    onError: options.onError,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.slice(0, EVENT_LIMITS.errorMessageMaxChars);
}

/** Resolves after `ms`, or at once when `signal` aborts. The timer never keeps the process alive. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Sends LLM-call events to EvalForge from a Node application.
 *
 * `capture()` validates an event against the contract and queues it, never throwing and never
 * blocking; the queue is sent in gzip NDJSON batches by count, bytes and time, retried with
 * backoff when the failure is transient, and bounded: when EvalForge is slow or down, events are
 * dropped by the `overflow` policy and reported to `onDrop` rather than held without limit.
 * Call `shutdown()` (or `flush()`) before the process exits: the client's timers never keep
 * the process alive on their own.
 */
export class EvalForgeClient {
  readonly #options: ResolvedOptions;
  readonly #transport: HttpTransport;
  readonly #pending = new Deque<Entry>();
  readonly #inFlight = new Set<readonly Entry[]>();
  readonly #waiters = new Set<FlushWaiter>();
  readonly #abort = new AbortController();
  #pendingBytes = 0;
  #heldEvents = 0;
  #heldBytes = 0;
  #seq = 0;
  #activeBatches = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushDue = false;
  #closing = false;
  #shutdown: Promise<void> | undefined;
  /** Compressed over uncompressed size of the last body; starts pessimistic (incompressible). */
  #compressionRatio = 1;
  readonly #counts = {
    captured: 0,
    sent: 0,
    dropped: 0,
    requests: 0,
    retries: 0,
    batchSplits: 0,
  };
  readonly #droppedByCode: Partial<Record<DropCode, number>> = {};

  /** @throws EvalForgeConfigError when the options cannot work. */
  constructor(options: EvalForgeClientOptions) {
    this.#options = resolveOptions(options);
    this.#transport = new HttpTransport({
      url: resolveIngestUrl(options),
      apiKey: options.apiKey,
      timeoutMs: this.#options.requestTimeoutMs,
      maxSockets: this.#options.maxConcurrentRequests,
      userAgent: `evalforge-sdk-node/${SDK_VERSION} node/${process.versions.node}`,
    });
  }

  /**
   * Queues one event. Fills `trace_id`, `span_id` and `timestamp` when absent, and `project_id`
   * from the options. Returns `true` when the event was queued; otherwise `onDrop` has been told
   * why (invalid event, queue full, client shut down). Never throws.
   */
  capture(event: CaptureEvent): boolean {
    try {
      return this.#capture(event);
    } catch (error) {
      this.#report(new Error(`capture failed: ${errorMessage(error)}`, { cause: error }));
      this.#dropUnqueued(event as unknown as EventInput, 'invalid_event', errorMessage(error));
      return false;
    }
  }

  /**
   * Runs `call`, then captures one event with its start time, latency, status and, for an error,
   * the error's message; the error is rethrown unchanged. `meta.extract` reads tokens, the
   * response and so on from the result.
   */
  async traceLlmCall<T>(meta: LlmCallMeta<T>, call: () => Promise<T> | T): Promise<T> {
    const { extract, ...fields } = meta;
    const timestamp = fields.timestamp ?? new Date(this.#options.now());
    const started = performance.now();
    const latency = (): number => Math.round((performance.now() - started) * 1000) / 1000;
    let result: T;
    try {
      result = await call();
    } catch (error) {
      this.capture({
        ...fields,
        timestamp,
        latency_ms: latency(),
        status: 'error',
        error_message: errorMessage(error),
      });
      throw error;
    }
    const latencyMs = latency();
    let extracted: LlmCallResultFields | undefined;
    if (extract) {
      try {
        // A field the extractor leaves undefined must not erase one given in meta.
        const fromResult = extract(result) ?? {};
        extracted = Object.fromEntries(Object.entries(fromResult).filter(([, value]) => value !== undefined));
      } catch (error) {
        this.#report(new Error(`traceLlmCall extract failed: ${errorMessage(error)}`, { cause: error }));
      }
    }
    this.capture({ ...fields, ...extracted, timestamp, latency_ms: latencyMs, status: 'ok' });
    return result;
  }

  /**
   * Resolves when every event captured before the call has been delivered or dropped: `true`;
   * or `false` when `timeoutMs` passed first (nothing is dropped then). Sends partial batches at
   * once.
   */
  flush(options: { timeoutMs?: number } = {}): Promise<boolean> {
    if (this.#heldEvents === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      // The client's own timers are unref'd; while someone awaits a flush, the process must stay.
      const keepAlive = setInterval(() => undefined, 2 ** 30);
      let timeout: NodeJS.Timeout | undefined;
      const waiter: FlushWaiter = {
        target: this.#seq,
        remaining: this.#heldEvents,
        finish: (done) => {
          if (!this.#waiters.delete(waiter)) return;
          clearInterval(keepAlive);
          clearTimeout(timeout);
          resolve(done);
        },
      };
      this.#waiters.add(waiter);
      if (options.timeoutMs !== undefined) {
        timeout = setTimeout(() => waiter.finish(false), options.timeoutMs);
      }
      this.#pump();
    });
  }

  /**
   * Stops accepting events, sends what is queued, and closes the connections. Events still
   * undelivered after `timeoutMs` are dropped with code `shutdown` (one in flight at that moment
   * may nevertheless have reached the server). Safe to call more than once.
   */
  shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#shutdown ??= this.#close(options.timeoutMs ?? CLIENT_DEFAULTS.shutdownTimeoutMs);
    return this.#shutdown;
  }

  stats(): ClientStats {
    return {
      ...this.#counts,
      droppedByCode: { ...this.#droppedByCode },
      queuedEvents: this.#heldEvents,
      queuedBytes: this.#heldBytes,
      inFlightEvents: this.#heldEvents - this.#pending.length,
    };
  }

  async #close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const done = await this.flush({ timeoutMs });
    this.#abort.abort();
    if (!done) {
      const left = [...this.#pending.drain(), ...[...this.#inFlight].flat()];
      this.#pendingBytes = 0;
      this.#drop(left, 'shutdown', `not delivered within the shutdown timeout of ${timeoutMs} ms`);
    }
    this.#transport.close();
  }

  #capture(event: CaptureEvent): boolean {
    if (this.#closing) {
      this.#dropUnqueued(event as unknown as EventInput, 'shutdown', 'captured after shutdown()');
      return false;
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      this.#dropUnqueued(event as unknown as EventInput, 'invalid_event', 'event must be an object');
      return false;
    }
    const filled = this.#fill(event);
    const parsed = EventSchema.safeParse(filled);
    if (!parsed.success) {
      this.#dropUnqueued(filled, 'invalid_event', describeIssues(parsed.error, filled));
      return false;
    }
    // The client form is sent, not the normalised one: the server normalises, and may do so
    // differently in a later version. Two parts go as the server stores them, so that it can
    // forward the line as sent rather than compress it again: chat messages as their JSON text,
    // and metadata in the store's model (dotted keys as paths, no nulls), which the contract's
    // own normalisation gives and which normalises to itself.
    const line = JSON.stringify(asWireEvent(filled, parsed.data));
    const bytes = Buffer.byteLength(line) + 1;
    const { maxQueueEvents, maxQueueBytes } = this.#options;
    if (bytes > maxQueueBytes || bytes > INGEST_LIMITS.maxDecompressedBytes) {
      this.#dropUnqueued(filled, 'event_too_large', `event is ${bytes} bytes as JSON, above maxQueueBytes`);
      return false;
    }
    if (this.#heldEvents + 1 > maxQueueEvents || this.#heldBytes + bytes > maxQueueBytes) {
      // Only waiting events can be evicted, not those in flight; evict none unless that makes room.
      const roomByEvicting =
        this.#options.overflow === 'drop-oldest' &&
        this.#heldEvents - this.#pending.length + 1 <= maxQueueEvents &&
        this.#heldBytes - this.#pendingBytes + bytes <= maxQueueBytes;
      if (!roomByEvicting) {
        this.#dropUnqueued(filled, 'queue_full', this.#queueFullReason());
        return false;
      }
      const evicted: Entry[] = [];
      let heldEvents = this.#heldEvents;
      let heldBytes = this.#heldBytes;
      while (heldEvents + 1 > maxQueueEvents || heldBytes + bytes > maxQueueBytes) {
        const oldest = this.#pending.shift();
        if (!oldest) break;
        this.#pendingBytes -= oldest.bytes;
        evicted.push(oldest);
        heldEvents -= 1;
        heldBytes -= oldest.bytes;
      }
      this.#drop(evicted, 'queue_full', this.#queueFullReason());
    }
    this.#seq += 1;
    this.#pending.push({ seq: this.#seq, line, bytes, settled: false });
    this.#pendingBytes += bytes;
    this.#heldEvents += 1;
    this.#heldBytes += bytes;
    this.#counts.captured += 1;
    this.#pump();
    return true;
  }

  #queueFullReason(): string {
    const { maxQueueEvents, maxQueueBytes, overflow } = this.#options;
    return `queue full (maxQueueEvents ${maxQueueEvents}, maxQueueBytes ${maxQueueBytes}, overflow ${overflow}): EvalForge is slow or unreachable`;
  }

  #fill(event: CaptureEvent): EventInput {
    const { trace_id, span_id, timestamp, project_id, ...rest } = event;
    let time: EventInput['timestamp'];
    if (timestamp instanceof Date) {
      time = Number.isNaN(timestamp.getTime()) ? 'Invalid Date' : timestamp.toISOString();
    } else {
      time = timestamp ?? new Date(this.#options.now()).toISOString();
    }
    const projectId = project_id ?? this.#options.projectId;
    return {
      trace_id: trace_id ?? newTraceId(),
      span_id: span_id ?? newSpanId(),
      timestamp: time,
      ...(projectId === undefined ? {} : { project_id: projectId }),
      ...rest,
    };
  }

  /** Starts batches while there are free slots and something worth sending. */
  #pump(): void {
    const { maxBatchEvents, maxConcurrentRequests } = this.#options;
    while (
      !this.#abort.signal.aborted &&
      this.#activeBatches < maxConcurrentRequests &&
      this.#pending.length > 0
    ) {
      const full = this.#pending.length >= maxBatchEvents || this.#pendingBytes >= this.#batchBytesBudget();
      if (!full && !this.#flushDue && this.#waiters.size === 0 && !this.#closing) break;
      const batch = this.#takeBatch();
      this.#activeBatches += 1;
      this.#inFlight.add(batch);
      void this.#deliverSafely(batch).then(() => {
        this.#inFlight.delete(batch);
        this.#activeBatches -= 1;
        this.#pump();
      });
    }
    if (this.#pending.length === 0) {
      this.#flushDue = false;
    } else if (this.#timer === undefined && !this.#closing) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flushDue = true;
        this.#pump();
      }, this.#options.flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Uncompressed bytes per batch: `maxBatchBytes`, lowered so the gzip body should fit the server's limit. */
  #batchBytesBudget(): number {
    const ratio = Math.max(this.#compressionRatio, MIN_COMPRESSION_RATIO);
    return Math.min(this.#options.maxBatchBytes, Math.floor(BODY_TARGET_BYTES / ratio));
  }

  #takeBatch(): Entry[] {
    const budget = this.#batchBytesBudget();
    const batch: Entry[] = [];
    let bytes = 0;
    while (batch.length < this.#options.maxBatchEvents) {
      const next = this.#pending.peek();
      if (!next || (batch.length > 0 && bytes + next.bytes > budget)) break;
      this.#pending.shift();
      this.#pendingBytes -= next.bytes;
      batch.push(next);
      bytes += next.bytes;
    }
    return batch;
  }

  async #deliverSafely(batch: readonly Entry[]): Promise<void> {
    try {
      await this.#deliver(batch);
    } catch (error) {
      this.#report(toError(error));
      this.#drop(batch, 'internal_error', `the client failed: ${errorMessage(error)}`);
    }
  }

  /** Sends `batch` until every event in it is accepted or dropped. */
  async #deliver(batch: readonly Entry[]): Promise<void> {
    let entries = batch;
    // Kept for every resend of the same events, so the server can tell a resend from new events;
    // a different set of events (the retryable part of a 207) is a new batch with a new key.
    let idempotencyKey = randomUUID();
    for (let retry = 0; ; retry++) {
      if (this.#abort.signal.aborted) return;
      const body = await this.#encode(entries);
      if (body.length > INGEST_LIMITS.maxBodyBytes) {
        await this.#split(entries, `gzip body of ${body.length} bytes is over ${INGEST_LIMITS.maxBodyBytes}`);
        return;
      }
      if (this.#abort.signal.aborted) return;
      const verdict = await this.#send(body, entries.length, idempotencyKey);
      // Shut down meanwhile: the events in this batch have been reported already.
      if (this.#abort.signal.aborted) return;
      let again: readonly Entry[];
      switch (verdict.kind) {
        case 'accepted':
          this.#markSent(entries);
          return;
        case 'split':
          this.#report(new EvalForgeRequestError(verdict.reason, verdict.status, entries.length > 1));
          await this.#split(entries, verdict.reason, verdict.status);
          return;
        case 'reject-all':
          this.#report(new EvalForgeRequestError(verdict.reason, verdict.status, false));
          this.#drop(entries, 'request_rejected', verdict.reason, verdict.status);
          return;
        case 'per-event':
          again = this.#settlePerEvent(entries, verdict);
          idempotencyKey = randomUUID();
          break;
        case 'retry-all':
          again = entries;
          break;
      }
      if (again.length === 0) return;
      const willRetry = retry < this.#options.maxRetries;
      if (verdict.kind === 'retry-all') {
        this.#report(new EvalForgeRequestError(verdict.reason, verdict.status, willRetry));
      }
      if (!willRetry) {
        this.#drop(again, 'retries_exhausted', `${verdict.reason} (after ${retry} retries)`, verdict.status);
        return;
      }
      await sleep(
        retryDelayMs(retry, this.#options, this.#options.random, verdict.retryAfterMs),
        this.#abort.signal,
      );
      if (this.#abort.signal.aborted) return;
      this.#counts.retries += 1;
      entries = again;
    }
  }

  /** Applies a per-event answer; returns the events to send again. */
  #settlePerEvent(entries: readonly Entry[], verdict: Extract<Verdict, { kind: 'per-event' }>): Entry[] {
    const notAccepted = new Set<number>(verdict.retry);
    const byReason = new Map<string, { code: EventErrorCode; message: string; entries: Entry[] }>();
    for (const rejection of verdict.rejected) {
      notAccepted.add(rejection.index);
      const entry = entries[rejection.index];
      if (!entry) continue;
      const key = `${rejection.code}\n${rejection.message}`;
      const group = byReason.get(key) ?? { code: rejection.code, message: rejection.message, entries: [] };
      group.entries.push(entry);
      byReason.set(key, group);
    }
    this.#markSent(entries.filter((_, index) => !notAccepted.has(index)));
    for (const group of byReason.values())
      this.#drop(group.entries, group.code, group.message, verdict.status);
    return verdict.retry.flatMap((index) => entries[index] ?? []);
  }

  /** Sends each half on its own; a single event that cannot be sent is dropped. */
  async #split(entries: readonly Entry[], reason: string, status?: number): Promise<void> {
    if (entries.length === 1) {
      this.#drop(entries, 'event_too_large', reason, status);
      return;
    }
    this.#counts.batchSplits += 1;
    const middle = Math.ceil(entries.length / 2);
    await this.#deliver(entries.slice(0, middle));
    await this.#deliver(entries.slice(middle));
  }

  async #encode(entries: readonly Entry[]): Promise<Buffer> {
    let ndjson = '';
    let rawBytes = 0;
    for (const entry of entries) {
      ndjson += `${entry.line}\n`;
      rawBytes += entry.bytes;
    }
    const body = await gzip(ndjson, { level: this.#options.gzipLevel });
    this.#compressionRatio = body.length / rawBytes;
    return body;
  }

  async #send(body: Buffer, eventCount: number, idempotencyKey: string): Promise<Verdict> {
    this.#counts.requests += 1;
    try {
      const response = await this.#transport.send(body, this.#abort.signal, idempotencyKey);
      return judgeResponse(response, eventCount, this.#options.now());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = `network error: ${errorMessage(error)}${code ? ` (${code})` : ''}`;
      return { kind: 'retry-all', status: undefined, retryAfterMs: undefined, reason };
    }
  }

  #markSent(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.settled) continue;
      this.#settle(entry);
      this.#counts.sent += 1;
    }
  }

  #settle(entry: Entry): void {
    entry.settled = true;
    this.#heldEvents -= 1;
    this.#heldBytes -= entry.bytes;
    for (const waiter of this.#waiters) {
      if (entry.seq <= waiter.target) {
        waiter.remaining -= 1;
        if (waiter.remaining === 0) waiter.finish(true);
      }
    }
  }

  #drop(entries: readonly Entry[], code: DropCode, reason: string, status?: number): void {
    const live = entries.filter((entry) => !entry.settled);
    if (live.length === 0) return;
    for (const entry of live) this.#settle(entry);
    this.#countDrop(code, live.length);
    const { onDrop } = this.#options;
    if (onDrop) {
      const events = live.map((entry) => JSON.parse(entry.line) as EventInput);
      this.#callback(() =>
        onDrop(status === undefined ? { events, code, reason } : { events, code, reason, status }),
      );
    }
  }

  #dropUnqueued(event: EventInput, code: DropCode, reason: string): void {
    this.#countDrop(code, 1);
    const { onDrop } = this.#options;
    if (onDrop) this.#callback(() => onDrop({ events: [event], code, reason }));
  }

  #countDrop(code: DropCode, count: number): void {
    this.#counts.dropped += count;
    this.#droppedByCode[code] = (this.#droppedByCode[code] ?? 0) + count;
  }

  #report(error: Error): void {
    const { onError } = this.#options;
    if (!onError) return;
    try {
      onError(error);
    } catch {
      // A diagnostics callback that throws has nowhere left to report to.
    }
  }

  #callback(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#report(new Error(`onDrop threw: ${errorMessage(error)}`, { cause: error }));
    }
  }
}

/** Text as the contract takes it as is: a string, or nothing. */
const isText = (value: unknown): boolean =>
  value === undefined || value === null || typeof value === 'string';

/**
 * The event as sent: prompt and response that are not text (chat messages, say) as their JSON
 * text, and metadata, both as the contract's parse made them (the same metadata object when it
 * was already in the store's model).
 */
function asWireEvent<E extends { prompt?: unknown; response?: unknown; metadata?: unknown }>(
  event: E,
  parsed: { readonly prompt: string; readonly response: string; readonly metadata: Record<string, unknown> },
): E {
  const sameText = isText(event.prompt) && isText(event.response);
  const sameMetadata = event.metadata === undefined || event.metadata === parsed.metadata;
  if (sameText && sameMetadata) return event;
  return {
    ...event,
    ...(sameText
      ? {}
      : {
          prompt: isText(event.prompt) ? event.prompt : parsed.prompt,
          response: isText(event.response) ? event.response : parsed.response,
        }),
    ...(sameMetadata ? {} : { metadata: parsed.metadata }),
  };
}
