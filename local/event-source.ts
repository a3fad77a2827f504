import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import type { CheckpointStore } from './checkpoints.js';
import { localLambdaContext } from './lambda-context.js';
import { LOCAL_ACCOUNT_ID, LOCAL_AWS } from './local-aws.js';
import { ShardLoops } from './shard-loops.js';
import type { ShardReader, StreamRecord } from './shard-reader.js';

/**
 * Lambda's synchronous invocation payload limit (6 MB): the event source never builds a bigger
 * event, whatever the batch size. Kinesis data is base64 in the event, so 4/3 of its bytes count.
 */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;
/** What one record's envelope (ids, ARNs, timestamps) adds to the event, generously. */
const RECORD_ENVELOPE_BYTES = 600;

export type KinesisHandler = (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<KinesisStreamBatchResponse | undefined>;

/** A batch the handler never took within the retry limit: what Lambda sends to an on-failure destination. */
export interface FailedBatch {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly records: number;
  readonly attempts: number;
  readonly error: string;
}

/** The event source mapping's settings, named as in Lambda's API. */
export interface EventSourceSettings {
  /** Records per invocation, 1–10,000. */
  readonly batchSize: number;
  /** How long to gather records before invoking with fewer than `batchSize`, 0–300,000 ms. */
  readonly maximumBatchingWindowMs: number;
  /** On a function error, split the batch in two and retry each half. */
  readonly bisectBatchOnFunctionError: boolean;
  /** Retries before a batch goes to `onFailure`; -1 retries until it succeeds, as Lambda does by default. */
  readonly maximumRetryAttempts: number;
  /** Honour `batchItemFailures` in the handler's response. */
  readonly reportBatchItemFailures: boolean;
}

export interface KinesisEventSourceOptions extends EventSourceSettings {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly functionName: string;
  readonly handler: KinesisHandler;
  readonly checkpoints: CheckpointStore;
  /** Where batches go that exhausted their retries (on-failure destination). */
  readonly onFailure?: (batch: FailedBatch) => Promise<void>;
  /** How often an idle shard is polled; Lambda polls once a second. */
  readonly pollIntervalMs?: number;
  /** Backoff between retries of a failing batch: doubles from `retryBaseMs` up to `retryMaxMs`. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

interface ShardState {
  readonly shardId: string;
  /** Records read from the shard and not yet handled. */
  pending: StreamRecord[];
  /** Arrival of the oldest record read and not yet checkpointed, for the lag. */
  oldestUnhandled: number | undefined;
  /** When the last read that found the shard at its end, with nothing pending, began; 0 if behind. */
  caughtUpAt: number;
  invocations: number;
  failures: number;
  recordsHandled: number;
}

export interface EventSourceStats {
  readonly invocations: number;
  readonly failures: number;
  readonly recordsHandled: number;
  /** Age of the oldest record read but not yet handled, across shards (Lambda's IteratorAge, roughly). */
  readonly lagMs: number;
  /** Whether every shard has been read to its end and handled. */
  readonly caughtUp: boolean;
  /**
   * The latest instant by which every shard was known to be read to its end and handled: a
   * record acknowledged before it has been handled. 0 while any shard is behind.
   */
  readonly caughtUpAt: number;
}

type Outcome = { kind: 'ok' } | { kind: 'partial'; from: number } | { kind: 'error'; error: string };

/**
 * Lambda's Kinesis event source mapping, in this process: one poller per shard, one invocation
 * at a time per shard (parallelization factor 1), batches by size, payload and window, and the
 * shard's position checkpointed only after the handler succeeded. A failing batch is retried
 * (bisected if asked) and blocks its shard until it succeeds or exhausts its retries, so records
 * are never handled out of order and never skipped. The checkpoints are on disk: a restart,
 * clean or not, resumes after the last handled record.
 */
export class KinesisEventSource {
  private readonly shards = new Map<string, ShardState>();
  private readonly loops: ShardLoops;
  private streamArn = '';
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: KinesisEventSourceOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 10_000) {
      throw new Error(`batchSize must be an integer from 1 to 10000, got ${options.batchSize}`);
    }
    if (options.maximumBatchingWindowMs < 0 || options.maximumBatchingWindowMs > 300_000) {
      throw new Error(`maximumBatchingWindowMs must be 0–300000, got ${options.maximumBatchingWindowMs}`);
    }
    if (!Number.isInteger(options.maximumRetryAttempts) || options.maximumRetryAttempts < -1) {
      throw new Error(
        `maximumRetryAttempts must be -1 (forever) or a count, got ${options.maximumRetryAttempts}`,
      );
    }
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.loops = new ShardLoops(options);
  }

  /** Starts one poller per shard of the stream. */
  async start(): Promise<void> {
    this.streamArn = await this.loops.start((reader) => {
      const state: ShardState = {
        shardId: reader.shardId,
        pending: [],
        oldestUnhandled: undefined,
        caughtUpAt: 0,
        invocations: 0,
        failures: 0,
        recordsHandled: 0,
      };
      this.shards.set(reader.shardId, state);
      return this.run(state, reader);
    });
  }

  stats(): EventSourceStats {
    const states = [...this.shards.values()];
    const now = this.now();
    return {
      invocations: states.reduce((n, s) => n + s.invocations, 0),
      failures: states.reduce((n, s) => n + s.failures, 0),
      recordsHandled: states.reduce((n, s) => n + s.recordsHandled, 0),
      lagMs: Math.max(
        0,
        ...states.map((s) => (s.oldestUnhandled === undefined ? 0 : now - s.oldestUnhandled)),
      ),
      caughtUp: states.every((s) => s.caughtUpAt > 0),
      caughtUpAt: Math.min(...states.map((s) => s.caughtUpAt)),
    };
  }

  /**
   * Stops polling. With `drain`, every shard is first read to its end and handled (a batch that
   * keeps failing is left for the next start); without, only the invocations in flight finish.
   * Either way nothing past the checkpoints counts as handled.
   */
  stop(options: { drain: boolean }): Promise<void> {
    return this.loops.stop(options);
  }

  private async run(state: ShardState, reader: ShardReader): Promise<void> {
    const { options, loops } = this;
    let windowStart: number | undefined;
    while (loops.mode !== 'stopping') {
      try {
        if (!this.batchReady(state, windowStart)) {
          const readAt = this.now();
          const records = await reader.read(Math.min(options.batchSize, 1_000));
          if (records.length > 0) {
            state.pending.push(...records);
            state.oldestUnhandled ??= records[0]?.approximateArrivalTimestamp.getTime();
            windowStart ??= this.now();
            state.caughtUpAt = 0;
            continue;
          }
          if (state.pending.length === 0) {
            state.caughtUpAt = reader.millisBehindLatest === 0 ? readAt : 0;
            if (loops.mode === 'draining' && state.caughtUpAt > 0) return;
            await loops.idle();
            continue;
          }
          // Records are waiting for their window to close, and the shard has no more yet.
          const left = (windowStart ?? 0) + options.maximumBatchingWindowMs - this.now();
          if (left > 0 && loops.mode === 'running') {
            await loops.sleep(Math.min(left, loops.pollMs));
            continue;
          }
        }
        const batch = this.takeBatch(state);
        windowStart = state.pending.length > 0 ? this.now() : undefined;
        const handled = await this.handle(state, batch);
        if (!handled) return;
      } catch (error) {
        // Reading the stream failed (the local Kinesis API went away or is restarting): try again.
        this.log(
          `event source ${options.functionName}: reading ${state.shardId} failed: ${(error as Error).message}`,
        );
        await loops.sleep(loops.pollMs);
      }
    }
  }

  private batchReady(state: ShardState, windowStart: number | undefined): boolean {
    if (state.pending.length === 0) return false;
    if (state.pending.length >= this.options.batchSize) return true;
    if (payloadBytes(state.pending) >= LAMBDA_PAYLOAD_LIMIT_BYTES) return true;
    return windowStart !== undefined && this.now() - windowStart >= this.options.maximumBatchingWindowMs;
  }

  /** The oldest pending records that fit one invocation: batch size and payload limit. */
  private takeBatch(state: ShardState): StreamRecord[] {
    let bytes = 0;
    let count = 0;
    for (const record of state.pending) {
      const size = recordPayloadBytes(record);
      if (count >= this.options.batchSize || (count > 0 && bytes + size > LAMBDA_PAYLOAD_LIMIT_BYTES)) break;
      bytes += size;
      count++;
    }
    return state.pending.splice(0, count);
  }

  /**
   * Invokes the handler until the batch is handled: retried with backoff, bisected on errors if
   * configured, resumed after the lowest reported item failure. Returns false if it stopped early.
   */
  private async handle(state: ShardState, batch: StreamRecord[]): Promise<boolean> {
    const { options } = this;
    const queue: StreamRecord[][] = [batch];
    let attempts = 0;
    while (queue.length > 0) {
      const part = queue[0] ?? [];
      const outcome = await this.invoke(state, part);
      if (outcome.kind === 'ok') {
        queue.shift();
        await this.checkpoint(state, part, part.length);
        attempts = 0;
        continue;
      }
      attempts++;
      state.failures++;
      if (outcome.kind === 'partial') {
        await this.checkpoint(state, part, outcome.from);
        queue[0] = part.slice(outcome.from);
      } else if (options.bisectBatchOnFunctionError && part.length > 1) {
        const half = Math.ceil(part.length / 2);
        queue.splice(0, 1, part.slice(0, half), part.slice(half));
      }
      const failed = queue[0] ?? [];
      const first = failed[0]?.sequenceNumber ?? '';
      const last = failed.at(-1)?.sequenceNumber ?? '';
      const reason = outcome.kind === 'error' ? outcome.error : `item failure at ${first}`;
      if (options.maximumRetryAttempts >= 0 && attempts > options.maximumRetryAttempts) {
        queue.shift();
        await options.onFailure?.({
          shardId: state.shardId,
          startSequenceNumber: first,
          endSequenceNumber: last,
          records: failed.length,
          attempts,
          error: reason,
        });
        this.log(
          `event source ${options.functionName}: ${state.shardId} records ${first}…${last} failed ${attempts} times and went to the on-failure destination: ${reason}`,
        );
        await this.checkpoint(state, failed, failed.length);
        attempts = 0;
        continue;
      }
      const backoff = Math.min(
        options.retryMaxMs ?? 30_000,
        (options.retryBaseMs ?? 200) * 2 ** (attempts - 1),
      );
      this.log(
        `event source ${options.functionName}: ${state.shardId} batch of ${part.length} failed (attempt ${attempts}), retrying ${failed.length} in ${backoff} ms: ${reason}`,
      );
      if (this.loops.mode === 'stopping' || (this.loops.mode === 'draining' && attempts >= 3)) {
        // Shutting down: leave the batch for the next start rather than retry forever.
        state.pending = [];
        return false;
      }
      await this.loops.sleep(backoff);
    }
    return true;
  }

  private async invoke(state: ShardState, records: readonly StreamRecord[]): Promise<Outcome> {
    const { options } = this;
    state.invocations++;
    try {
      const response = await options.handler(
        { Records: records.map((record) => this.toEventRecord(record)) },
        localLambdaContext(options.functionName, options.timeoutMs ?? 60_000, this.now),
      );
      const failures = options.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
      if (failures.length === 0) return { kind: 'ok' };
      // Lambda resumes after the lowest failed sequence number; an id not in the batch fails it all.
      const indexes = failures.map((f) => records.findIndex((r) => r.sequenceNumber === f.itemIdentifier));
      const from = indexes.includes(-1) ? 0 : Math.min(...indexes);
      return { kind: 'partial', from };
    } catch (error) {
      return { kind: 'error', error: (error as Error).message };
    }
  }

  private async checkpoint(
    state: ShardState,
    records: readonly StreamRecord[],
    handled: number,
  ): Promise<void> {
    const last = records[handled - 1];
    if (last) {
      await this.options.checkpoints.set(state.shardId, last.sequenceNumber);
      state.recordsHandled += handled;
    }
    const next = records[handled] ?? state.pending[0];
    state.oldestUnhandled = next?.approximateArrivalTimestamp.getTime();
  }

  private toEventRecord(record: StreamRecord): KinesisStreamRecord {
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.partitionKey,
        sequenceNumber: record.sequenceNumber,
        data: record.data.toString('base64'),
        approximateArrivalTimestamp: record.approximateArrivalTimestamp.getTime() / 1_000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${record.shardId}:${record.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${this.options.functionName}`,
      awsRegion: LOCAL_AWS.region,
      eventSourceARN: this.streamArn,
    };
  }
}

function recordPayloadBytes(record: StreamRecord): number {
  return Math.ceil(record.data.length / 3) * 4 + RECORD_ENVELOPE_BYTES;
}

function payloadBytes(records: readonly StreamRecord[]): number {
  let bytes = 0;
  for (const record of records) bytes += recordPayloadBytes(record);
  return bytes;
}
