import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { CheckpointStore } from './checkpoints.js';
import type { LocalFirehose } from './firehose.js';
import { ShardLoops } from './shard-loops.js';
import type { ShardReader } from './shard-reader.js';

export interface FirehoseSourceStats {
  /** Age of the oldest record read and not yet in a stored object (Firehose's DataFreshness). */
  readonly lagMs: number;
  readonly caughtUp: boolean;
  /** The latest instant by which every shard was read to its end (into the buffer); 0 while behind. */
  readonly caughtUpAt: number;
}

/**
 * The reading side of the Firehose stand-in: what a delivery stream with a Kinesis source does.
 * Every shard is read in order into the delivery buffer; a shard's checkpoint moves only when an
 * object holding its records is stored (the buffer reports that through `delivered`), so a crash
 * re-reads what was buffered and nothing is archived out of the stream's sight.
 */
export class FirehoseSource {
  private readonly loops: ShardLoops;
  private readonly caughtUpAt = new Map<string, number>();
  /** Arrival times of records handed to the buffer and not yet reported stored, oldest first. */
  private unstored: number[] = [];
  private readonly now: () => number;

  constructor(
    private readonly options: {
      readonly kinesis: KinesisClient;
      readonly streamName: string;
      readonly firehose: LocalFirehose;
      readonly checkpoints: CheckpointStore;
      readonly pollIntervalMs?: number;
      readonly log?: (line: string) => void;
      readonly now?: () => number;
    },
  ) {
    this.now = options.now ?? Date.now;
    this.loops = new ShardLoops(options);
  }

  /** What the buffer calls once an object is stored: the highest stored sequence number per shard. */
  async delivered(positions: ReadonlyMap<string, string>, records: number): Promise<void> {
    this.unstored.splice(0, records);
    for (const [shardId, sequenceNumber] of positions) {
      await this.options.checkpoints.set(shardId, sequenceNumber);
    }
  }

  async start(): Promise<void> {
    await this.loops.start((reader) => {
      this.caughtUpAt.set(reader.shardId, 0);
      return this.run(reader);
    });
  }

  stats(): FirehoseSourceStats {
    const oldest = this.unstored[0];
    return {
      lagMs: oldest === undefined ? 0 : Math.max(0, this.now() - oldest),
      caughtUp: [...this.caughtUpAt.values()].every((at) => at > 0),
      caughtUpAt: Math.min(...this.caughtUpAt.values()),
    };
  }

  /** Stops reading; with `drain`, reads every shard to its end first. The caller then flushes the buffer. */
  stop(options: { drain: boolean }): Promise<void> {
    return this.loops.stop(options);
  }

  private async run(reader: ShardReader): Promise<void> {
    const { options, loops } = this;
    const { shardId } = reader;
    while (loops.mode !== 'stopping') {
      try {
        const readAt = this.now();
        const records = await reader.read(500);
        if (records.length === 0) {
          const caughtUp = reader.millisBehindLatest === 0;
          this.caughtUpAt.set(shardId, caughtUp ? readAt : 0);
          if (loops.mode === 'draining' && caughtUp) return;
          await loops.idle();
          continue;
        }
        this.caughtUpAt.set(shardId, 0);
        for (const record of records) this.unstored.push(record.approximateArrivalTimestamp.getTime());
        // Waits while a full buffer is delivered: the reader slows to what S3 takes.
        await options.firehose.add(records);
      } catch (error) {
        options.log?.(`archive: reading ${shardId} failed: ${(error as Error).message}`);
        await loops.sleep(loops.pollMs);
      }
    }
  }
}
