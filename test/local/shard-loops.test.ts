import { DescribeStreamSummaryCommand, type KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { ShardLoops } from '../../local/shard-loops.js';
import type { ShardReader } from '../../local/shard-reader.js';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/s';

/** A stream of two open shards and a closed one, as DescribeStreamSummary and ListShards answer. */
const kinesis = {
  send: async (command: unknown) => {
    if (command instanceof DescribeStreamSummaryCommand) {
      return { StreamDescriptionSummary: { StreamARN: STREAM_ARN } };
    }
    if (command instanceof ListShardsCommand) {
      return {
        Shards: [
          { ShardId: 'shardId-000000000001', SequenceNumberRange: {} },
          { ShardId: 'shardId-000000000000', SequenceNumberRange: {} },
          { ShardId: 'shardId-000000000002', SequenceNumberRange: { EndingSequenceNumber: '9' } },
        ],
      };
    }
    throw new Error(`unexpected ${String(command)}`);
  },
} as unknown as KinesisClient;

/** Shards whose checkpoint was asked for: each reader resumes from its shard's. */
const asked: string[] = [];
const checkpoints = {
  get: (shardId: string) => {
    asked.push(shardId);
    return undefined;
  },
};

describe('ShardLoops', () => {
  it('starts one loop per open shard, from its checkpoint, and returns the stream ARN', async () => {
    asked.length = 0;
    const loops = new ShardLoops({ kinesis, streamName: 's', checkpoints });
    const readers: ShardReader[] = [];
    const arn = await loops.start(async (reader) => {
      readers.push(reader);
    });
    expect(arn).toBe(STREAM_ARN);
    expect(readers.map((r) => r.shardId)).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    expect(asked).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    await loops.stop({ drain: false });
  });

  it.each([
    [false, 'stopping'],
    [true, 'draining'],
  ] as const)('ends every sleep at once on stop (drain %s) and reads as %s', async (drain, mode) => {
    const loops = new ShardLoops({ kinesis, streamName: 's', checkpoints, pollIntervalMs: 60_000 });
    const turns: string[] = [];
    await loops.start(async () => {
      while (loops.mode === 'running') await loops.idle();
      turns.push(loops.mode);
    });
    const started = performance.now();
    await loops.stop({ drain });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(turns).toEqual([mode, mode]);
  });

  it('polls a shard with nothing new once a second unless told otherwise', () => {
    expect(new ShardLoops({ kinesis, streamName: 's', checkpoints }).pollMs).toBe(1_000);
  });
});
