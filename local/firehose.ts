import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ARCHIVE_CONTENT_TYPE, archiveObjectKey } from '../functions/shared/contract/archive-layout.js';

/** One Kinesis record as a shard reader got it. */
export interface FirehoseRecord {
  readonly shardId: string;
  /** Kinesis sequence number: decimal digits, compared as integers. */
  readonly sequenceNumber: string;
  /** The record's bytes: a gzip NDJSON stream record, archived as-is. */
  readonly data: Buffer;
  readonly approximateArrivalTimestamp: Date;
}

/** Per shard, the highest sequence number contained in a delivered object. */
export type DeliveredPositions = ReadonlyMap<string, string>;

export interface LocalFirehoseOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Names the objects, as a Firehose stream's name does. */
  readonly deliveryStreamName: string;
  /**
   * The stream version in object names; Firehose counts configuration changes from 1.
   * @default 1
   */
  readonly deliveryStreamVersion?: number;
  /** Deliver once this many bytes are buffered. Objects stay within it unless one record alone is larger. */
  readonly bufferSizeBytes: number;
  /** Deliver whatever is buffered once the first record of the buffer has waited this long. */
  readonly bufferIntervalMs: number;
  /**
   * Called after each object is stored, one delivery at a time and in order: a shard reader
   * checkpoints here. An error it throws is logged; the next delivery's positions cover it.
   */
  readonly onDelivered?: (positions: DeliveredPositions) => void | Promise<void>;
  /**
   * The clock for object names.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Failed puts and callbacks are reported here.
   * @default console.error
   */
  readonly log?: (line: string) => void;
  /**
   * Backoff between PutObject attempts: doubles from `baseMs` up to `maxMs`, with jitter.
   * @default { baseMs: 200, maxMs: 10_000 }
   */
  readonly retry?: { readonly baseMs: number; readonly maxMs: number };
}

export interface LocalFirehoseStats {
  /** Records accepted by `add` and not yet in a stored object. */
  readonly bufferedRecords: number;
  readonly bufferedBytes: number;
  readonly deliveredObjects: number;
  readonly deliveredRecords: number;
  readonly deliveredBytes: number;
}

export class LocalFirehoseClosedError extends Error {
  override readonly name = 'LocalFirehoseClosedError';
}

const DECIMAL = /^\d+$/;

/**
 * The delivery side of the local stand-in for Kinesis Data Firehose: buffers records by size
 * and time, then writes each buffer as one S3 object, the records' bytes back to back (no
 * compression: they are gzip members already), under the archive layout Firehose uses.
 * How the records are read from Kinesis is the caller's business.
 *
 * Like Firehose reading a Kinesis stream, it retries a failed put until it succeeds: a record
 * is only reported delivered (`onDelivered`) once it is stored. After a crash, records not yet
 * reported are read again, so the archive is at-least-once, as Firehose's is.
 */
export class LocalFirehose {
  readonly #options: LocalFirehoseOptions;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #retry: { readonly baseMs: number; readonly maxMs: number };

  #buffer: FirehoseRecord[] = [];
  #bufferBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Batches cut from the buffer and not yet stored. */
  #pendingRecords = 0;
  #pendingBytes = 0;
  /** The last delivery queued; deliveries run one after another. */
  #tail: Promise<void> = Promise.resolve();
  #closed = false;
  #deliveredObjects = 0;
  #deliveredRecords = 0;
  #deliveredBytes = 0;

  constructor(options: LocalFirehoseOptions) {
    for (const [name, value] of [
      ['bufferSizeBytes', options.bufferSizeBytes],
      ['bufferIntervalMs', options.bufferIntervalMs],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) {
        throw new RangeError(`${name} must be positive, got ${value}`);
      }
    }
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#retry = options.retry ?? { baseMs: 200, maxMs: 10_000 };
    // Fail now on a name or version Firehose would refuse, not at the first delivery.
    archiveObjectKey({
      deliveryStreamName: options.deliveryStreamName,
      version: options.deliveryStreamVersion ?? 1,
      oldestArrival: new Date(0),
      deliveredAt: new Date(0),
      id: randomUUID(),
    });
  }

  /**
   * Buffers records in the order given. When the buffer fills, resolves only once the full
   * buffer is stored, so a reader that awaits it slows to the pace of S3.
   */
  async add(records: readonly FirehoseRecord[]): Promise<void> {
    if (this.#closed) throw new LocalFirehoseClosedError('LocalFirehose is closed: add() after close()');
    for (const record of records) {
      if (!DECIMAL.test(record.sequenceNumber)) {
        throw new TypeError(
          `sequence number '${record.sequenceNumber}' of shard ${record.shardId} is not decimal`,
        );
      }
      if (Number.isNaN(record.approximateArrivalTimestamp.getTime())) {
        throw new TypeError(`record ${record.sequenceNumber} of shard ${record.shardId} has no arrival time`);
      }
    }
    let cut = false;
    for (const record of records) {
      if (this.#buffer.length > 0 && this.#bufferBytes + record.data.length > this.#options.bufferSizeBytes) {
        this.#cut();
        cut = true;
      }
      this.#buffer.push(record);
      this.#bufferBytes += record.data.length;
      if (this.#bufferBytes >= this.#options.bufferSizeBytes) {
        this.#cut();
        cut = true;
      }
    }
    if (this.#buffer.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#cut();
      }, this.#options.bufferIntervalMs);
    }
    // Time-triggered batches also count: while S3 is failing, memory stays near one buffer.
    if (cut || this.#pendingBytes + this.#bufferBytes >= this.#options.bufferSizeBytes) await this.#tail;
  }

  /** Delivers what is buffered now and waits for every delivery queued so far. */
  async flush(): Promise<void> {
    this.#cut();
    await this.#tail;
  }

  /** Stops taking records, delivers what is buffered and stops the timer. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  stats(): LocalFirehoseStats {
    return {
      bufferedRecords: this.#buffer.length + this.#pendingRecords,
      bufferedBytes: this.#bufferBytes + this.#pendingBytes,
      deliveredObjects: this.#deliveredObjects,
      deliveredRecords: this.#deliveredRecords,
      deliveredBytes: this.#deliveredBytes,
    };
  }

  /** Takes the buffer as one batch and queues its delivery behind the others. */
  #cut(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    const bytes = this.#bufferBytes;
    this.#buffer = [];
    this.#bufferBytes = 0;
    this.#pendingRecords += batch.length;
    this.#pendingBytes += bytes;
    // #deliver never rejects; the catch only keeps an unforeseen bug from stalling the queue.
    this.#tail = this.#tail
      .then(() => this.#deliver(batch, bytes))
      .catch((error: unknown) => this.#log(`firehose: delivery failed: ${(error as Error).stack ?? error}`));
  }

  #key(oldestArrival: Date): string {
    return archiveObjectKey({
      deliveryStreamName: this.#options.deliveryStreamName,
      version: this.#options.deliveryStreamVersion ?? 1,
      oldestArrival,
      deliveredAt: new Date(this.#now()),
      id: randomUUID(),
    });
  }

  async #deliver(batch: readonly FirehoseRecord[], bytes: number): Promise<void> {
    let oldest = batch[0]?.approximateArrivalTimestamp ?? new Date(this.#now());
    const positions = new Map<string, string>();
    for (const record of batch) {
      if (record.approximateArrivalTimestamp.getTime() < oldest.getTime())
        oldest = record.approximateArrivalTimestamp;
      const highest = positions.get(record.shardId);
      // Sequence numbers grow in length over a shard's life: compare them as integers.
      if (highest === undefined || BigInt(record.sequenceNumber) > BigInt(highest)) {
        positions.set(record.shardId, record.sequenceNumber);
      }
    }
    // One key for every attempt: a put that succeeded but answered an error is overwritten, not doubled.
    const key = this.#key(oldest);
    const body = Buffer.concat(
      batch.map((record) => record.data),
      bytes,
    );
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#options.s3.send(
          new PutObjectCommand({
            Bucket: this.#options.bucket,
            Key: key,
            Body: body,
            ContentType: ARCHIVE_CONTENT_TYPE,
          }),
        );
        break;
      } catch (error) {
        const ceiling = Math.min(this.#retry.maxMs, this.#retry.baseMs * 2 ** (attempt - 1));
        const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        this.#log(
          `firehose: PutObject s3://${this.#options.bucket}/${key} failed (attempt ${attempt}): ${(error as Error).message}; retrying in ${delayMs} ms`,
        );
        await sleep(delayMs);
      }
    }
    this.#pendingRecords -= batch.length;
    this.#pendingBytes -= bytes;
    this.#deliveredObjects += 1;
    this.#deliveredRecords += batch.length;
    this.#deliveredBytes += bytes;
    try {
      await this.#options.onDelivered?.(positions);
    } catch (error) {
      this.#log(
        `firehose: onDelivered failed after s3://${this.#options.bucket}/${key}: ${(error as Error).message}`,
      );
    }
  }
}
