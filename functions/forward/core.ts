import { gunzipSync } from 'node:zlib';
import { REGION_PATTERN } from '../shared/auth/api-keys.js';

/**
 * The forwarder: a region's transit stream into the home regions' streams.
 *
 * In a deployment across regions, a validator writes the records of a project homed in another
 * region to its own region's transit stream (the record header names the home region). The
 * forwarder puts each record, byte for byte and with its partition key (the request key), into
 * the home region's main stream, where the home loader loads it and the home archive keeps it.
 *
 * Exactly once: a record the forwarder puts twice (a retry after a partial failure, a Lambda
 * retry) reaches the home stream twice with the same request key and events; the home loader
 * loads a request key once and skips the events it finds stored (functions/shared/load/core.ts),
 * so the second copy adds nothing.
 *
 * Nothing acknowledged is lost: when the home region does not take a record (down, throttling),
 * the batch reports that record as its first failure; the event source retries from it, so the
 * record and those after it wait in the transit stream (kept 7 days) until the home region is
 * back. A record whose header cannot be read, or names no other region, is put into this region's
 * own stream: there the loader stores it, or sets it aside as a dead letter with its reason.
 */

/** One record of the transit stream, as the event source hands it over. */
export interface TransitRecord {
  /** The record's bytes: a stream record (gzip). */
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
}

export interface ForwarderDeps {
  /** This region: records that name no other region go to its own main stream. */
  readonly region: string;
  /**
   * Puts records into a region's main stream (this region's included), in order; resolves with
   * the indexes of those it did not take; rejects when the region cannot be reached at all.
   */
  putRecords(
    region: string,
    records: readonly { data: Uint8Array; partitionKey: string }[],
  ): Promise<{ failedIndexes: number[] }>;
}

export interface ForwardOutcome {
  /** Records put into another region's stream. */
  readonly forwarded: number;
  /** Records put into this region's stream (no readable header, or no other home). */
  readonly kept: number;
  /** Records per destination region. */
  readonly byRegion: Readonly<Record<string, number>>;
  /** The first record not taken (in the batch's order), from which the batch is retried; undefined when all were. */
  readonly firstFailure?: {
    readonly sequenceNumber: string;
    readonly region: string;
    readonly reason: string;
  };
}

/** The header line's `home_region` of a stream record, or undefined when it cannot be read or names none. */
export function homeRegionOf(data: Uint8Array): string | undefined {
  let inflated: Buffer;
  try {
    inflated = gunzipSync(data);
  } catch {
    return undefined;
  }
  const newline = inflated.indexOf(0x0a);
  const line = inflated.subarray(0, newline === -1 ? inflated.length : newline).toString('utf8');
  try {
    const header = JSON.parse(line) as { home_region?: unknown };
    return typeof header.home_region === 'string' && REGION_PATTERN.test(header.home_region)
      ? header.home_region
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Forwards a batch of one shard's records: each to its home region's stream, in batches per
 * region. Returns the first record (in the batch's order) that was not taken, so the event source
 * retries from it; the records after it that were taken reach home again on the retry, as
 * duplicates the home loader skips.
 */
export async function forwardRecords(
  records: readonly TransitRecord[],
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const byRegion = new Map<string, number[]>();
  records.forEach((record, index) => {
    const home = homeRegionOf(record.data);
    const region = home === undefined || home === deps.region ? deps.region : home;
    const list = byRegion.get(region);
    if (list) list.push(index);
    else byRegion.set(region, [index]);
  });
  let firstFailed: { index: number; region: string; reason: string } | undefined;
  const failed = (index: number, region: string, reason: string) => {
    if (!firstFailed || index < firstFailed.index) firstFailed = { index, region, reason };
  };
  const counts: Record<string, number> = {};
  await Promise.all(
    [...byRegion].map(async ([region, indexes]) => {
      counts[region] = indexes.length;
      const batch = indexes.map((i) => {
        const record = records[i] as TransitRecord;
        return { data: record.data, partitionKey: record.partitionKey };
      });
      try {
        const { failedIndexes } = await deps.putRecords(region, batch);
        for (const at of failedIndexes) {
          const index = indexes[at];
          if (index !== undefined) failed(index, region, `${region}'s stream did not take the record`);
        }
      } catch (error) {
        failed(
          indexes[0] as number,
          region,
          `${region}'s stream could not be reached: ${(error as Error).message}`,
        );
      }
    }),
  );
  const kept = counts[deps.region] ?? 0;
  const first = firstFailed as { index: number; region: string; reason: string } | undefined;
  return {
    forwarded: records.length - kept,
    kept,
    byRegion: counts,
    ...(first
      ? {
          firstFailure: {
            sequenceNumber: (records[first.index] as TransitRecord).sequenceNumber,
            region: first.region,
            reason: first.reason,
          },
        }
      : {}),
  };
}
