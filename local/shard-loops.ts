import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { InterruptibleSleep } from '../cli/interruptible-sleep.js';
import type { CheckpointStore } from './checkpoints.js';
import { describeShards, ShardReader } from './shard-reader.js';

/** Where a consumer reads from, and how often it polls a shard that had nothing new. */
export interface ShardLoopsSource {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly checkpoints: Pick<CheckpointStore, 'get'>;
  /** @default - 1,000 ms, as Lambda and Firehose poll */
  readonly pollIntervalMs?: number;
}

/** While draining, a shard that had nothing new is read again this soon, to finish quickly. */
const DRAIN_POLL_MS = 50;

/**
 * The shard loops of a stream consumer (the Lambda event source, the Firehose reader): one loop
 * per open shard, each reading from just after its checkpoint, and the way they stop. A stop with
 * `drain` lets every loop read its shard to the end; without, loops leave at their next turn.
 * Either way every sleep is cut short, so a stop never waits out a poll interval or a backoff.
 */
export class ShardLoops {
  readonly pollMs: number;
  private asked: 'running' | 'draining' | 'stopping' = 'running';
  private readonly sleeper = new InterruptibleSleep();
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly source: ShardLoopsSource) {
    this.pollMs = source.pollIntervalMs ?? 1_000;
  }

  /** What the loops are asked to do; each loop reads it at every turn. */
  get mode(): 'running' | 'draining' | 'stopping' {
    return this.asked;
  }

  /** Starts `loop` on every open shard of the stream, each with its reader; returns the stream's ARN. */
  async start(loop: (reader: ShardReader) => Promise<void>): Promise<string> {
    const { kinesis, streamName, checkpoints } = this.source;
    const { streamArn, shardIds } = await describeShards(kinesis, streamName);
    for (const shardId of shardIds) {
      this.loops.push(loop(new ShardReader(kinesis, streamName, shardId, checkpoints.get(shardId))));
    }
    return streamArn;
  }

  /** A wait that a stop cuts short. */
  sleep(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }

  /** The wait before reading again a shard that had nothing new. */
  idle(): Promise<void> {
    return this.sleep(this.mode === 'draining' ? DRAIN_POLL_MS : this.pollMs);
  }

  /** Asks every loop to stop, draining first with `drain`, and waits until they all have. */
  async stop(options: { drain: boolean }): Promise<void> {
    this.asked = options.drain ? 'draining' : 'stopping';
    this.sleeper.wakeAll();
    await Promise.all(this.loops);
  }
}
