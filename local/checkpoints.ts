import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { describeZodIssues } from '../functions/shared/zod-issues.js';

const CheckpointFile = z.object({
  version: z.literal(1),
  /** Shard id → the sequence number of the last record the consumer finished with. */
  shards: z.record(z.string(), z.string().regex(/^\d+$/)),
});

/**
 * Where a stream consumer has got to, shard by shard, in a JSON file: what Lambda's event source
 * mapping (and Firehose) keep on the service side. A position is written only after the records up
 * to it were handled, and the file is replaced atomically (temporary file, fsync, rename), so a
 * crash at any instant leaves either the old position or the new one: records after it are read
 * again, never skipped.
 */
export class CheckpointStore {
  private positions = new Map<string, string>();
  private writes: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  static async open(path: string): Promise<CheckpointStore> {
    const store = new CheckpointStore(path);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new Error(
          `checkpoint file ${path} is not JSON (${(error as Error).message}); delete it to read every shard from its start`,
        );
      }
      const parsed = CheckpointFile.safeParse(json);
      if (!parsed.success) {
        throw new Error(
          `checkpoint file ${path} is not a version 1 checkpoint file: ${describeZodIssues(parsed.error, { input: json, maxIssues: 3 })}`,
        );
      }
      store.positions = new Map(Object.entries(parsed.data.shards));
    }
    return store;
  }

  /** The last handled sequence number of a shard, or undefined to start at its oldest record. */
  get(shardId: string): string | undefined {
    return this.positions.get(shardId);
  }

  /** Records that a shard was handled up to `sequenceNumber`; never moves a shard backwards. */
  async set(shardId: string, sequenceNumber: string): Promise<void> {
    const current = this.positions.get(shardId);
    if (current !== undefined && BigInt(current) >= BigInt(sequenceNumber)) return;
    this.positions.set(shardId, sequenceNumber);
    const snapshot = JSON.stringify({ version: 1, shards: Object.fromEntries(this.positions) });
    const write = this.writes.then(() => writeAtomically(this.path, snapshot));
    this.writes = write.catch(() => undefined);
    await write;
  }
}

/** Replaces `path` with `text` so that a crash leaves the old file or the new one: temporary file, fsync, rename. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}
