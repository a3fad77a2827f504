import { gzipSync } from 'node:zlib';
import type { ArchiveObjectInfo, ArchiveReader, RestoreState } from '../../functions/replay/core.js';
import { archiveObjectKey } from '../../functions/shared/contract/archive-layout.js';

/** An object of the archive in memory: its stored bytes, its storage class and restore. */
export interface MemoryObject {
  readonly bytes: Buffer;
  readonly storageClass?: string;
  readonly restore?: RestoreState;
}

/**
 * An archive bucket in memory, listing in key order as S3 does; it records what was read and
 * which restores were asked for.
 */
export class MemoryArchive implements ArchiveReader {
  readonly location = 's3://memory-archive';
  readonly restores: [string, string, number][] = [];
  readonly reads: string[] = [];
  constructor(readonly objects: Map<string, MemoryObject> = new Map()) {}

  async list(prefix: string): Promise<ArchiveObjectInfo[]> {
    return [...this.objects]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, o]) => ({
        key,
        size: o.bytes.length,
        ...(o.storageClass ? { storageClass: o.storageClass } : {}),
      }));
  }

  async get(key: string): Promise<Buffer> {
    this.reads.push(key);
    const object = this.objects.get(key);
    if (!object) throw new Error(`no object ${key}`);
    return object.bytes;
  }

  async restoreState(key: string): Promise<RestoreState> {
    return this.objects.get(key)?.restore ?? 'not-restored';
  }

  async restore(key: string, tier: string, days: number): Promise<void> {
    this.restores.push([key, tier, days]);
  }
}

/** An archive object as Firehose writes it: each inflated record its own gzip member, back to back. */
export const archiveObjectBytes = (records: readonly string[]): Buffer =>
  Buffer.concat(records.map((r) => gzipSync(r)));

/** The key Firehose gives an object whose oldest record arrived at `oldestArrival`. */
export const archiveKeyAt = (oldestArrival: number, n = 0): string =>
  archiveObjectKey({
    deliveryStreamName: 'evalforge-archive',
    version: 1,
    oldestArrival: new Date(oldestArrival),
    deliveredAt: new Date(oldestArrival + 60_000),
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  });
