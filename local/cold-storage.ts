import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { readWholeNumber, UsageError } from '../cli/flags.js';
import { MAX_RETENTION_DAYS, rowsDays, type TableRetention } from '../clickhouse/retention.js';
import { createClickHouseClient } from '../functions/shared/clickhouse/client.js';
import { renderStorageConfig } from '../lib/constructs/clickhouse/storage-config.js';
import { TIERS } from '../lib/tiers.js';

/**
 * The embedded engine's cold volume on the local S3 API: the deployed nodes' storage policy
 * (hot on the data directory, cold on an S3 disk), in a bucket of its own.
 */
export const LOCAL_COLD_STORAGE = {
  bucket: 'evalforge-clickhouse-cold',
  /** One node: the prefix a deployed node's objects go under, for the first node. */
  prefix: 'clickhouse/node-1/',
  /** The cache over the S3 disk, under the engine's data directory. */
  cachePath: 'cold/',
  cacheMaxSizeBytes: 256 * 1024 ** 2,
  /**
   * The mover's free-space threshold. A deployed node's hot volume is a disk of its own, sized
   * for the hot window, and keeps a quarter free (DEFAULT_MOVE_FACTOR); here the data directory
   * shares the machine's disk with everything else on it, whose use says nothing about the
   * engine's parts, so the mover moves by free space only when that disk is nearly full and
   * otherwise the TTLs alone decide what goes cold.
   */
  moveFactor: 0.02,
} as const;

/** The retention `npm start` applies unless flags say otherwise: tier 1's. */
export const LOCAL_RETENTION: TableRetention = (() => {
  const { hotDays, warmDays, bodiesDays, minuteRollupDays, hourRollupDays, ttlMergeTimeoutSec } =
    TIERS[1].retention;
  return { hotDays, warmDays, bodiesDays, minuteRollupDays, hourRollupDays, ttlMergeTimeoutSec };
})();

/**
 * The storage configuration file for the embedded engine, its cold disk at `s3Endpoint` (the
 * local S3 API, which knows one key pair).
 */
export function localStorageConfig(s3Endpoint: string): string {
  const { bucket, prefix, cachePath, cacheMaxSizeBytes, moveFactor } = LOCAL_COLD_STORAGE;
  return renderStorageConfig({
    endpoint: `${s3Endpoint}/${bucket}/${prefix}`,
    region: 'us-east-1',
    credentials: { source: 'keys', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    cachePath,
    cacheMaxSizeBytes,
    moveFactor,
  });
}

/**
 * The embedded engine on `npm start`'s data directory (`<dataDir>/clickhouse`), with its cold
 * volume on the local S3 API at `s3Endpoint`, which must be running (and answering from another
 * thread: the engine reads the cold disk as it opens). Once `events` is on the tiered policy the
 * engine cannot open the directory without it. The file is written at each open: the local S3
 * API's port is new each time, and the cold disk names its objects relative to its endpoint, so
 * the parts moved in an earlier run are found again.
 */
export async function openLocalClickHouse(dataDir: string, s3Endpoint: string): Promise<ClickHouseClient> {
  const configFile = join(dataDir, 'clickhouse-storage.xml');
  await writeFile(configFile, localStorageConfig(s3Endpoint));
  return createClickHouseClient({ kind: 'embedded', path: join(dataDir, 'clickhouse'), configFile });
}

/** `npm start`'s flags for the retention, each the field it sets. */
export const RETENTION_FLAGS = {
  'hot-days': 'hotDays',
  'warm-days': 'warmDays',
  'bodies-days': 'bodiesDays',
  'minute-rollup-days': 'minuteRollupDays',
  'hour-rollup-days': 'hourRollupDays',
} as const satisfies Record<string, keyof TableRetention>;
export type RetentionFlag = keyof typeof RETENTION_FLAGS;

/**
 * The retention the flags set, the rest from `defaults`; a UsageError naming the flag when one is
 * not a whole number of days, or when the bodies would outlive their rows.
 */
export function retentionFromFlags(
  flags: Readonly<Partial<Record<RetentionFlag, string>>>,
  defaults: TableRetention = LOCAL_RETENTION,
): TableRetention {
  const retention: { -readonly [K in keyof TableRetention]: TableRetention[K] } = { ...defaults };
  for (const [flag, field] of Object.entries(RETENTION_FLAGS) as [
    RetentionFlag,
    (typeof RETENTION_FLAGS)[RetentionFlag],
  ][]) {
    const text = flags[flag];
    if (text === undefined) continue;
    const min = field === 'minuteRollupDays' || field === 'hourRollupDays' ? 1 : 0;
    const days = readWholeNumber(text, min, MAX_RETENTION_DAYS);
    if (days === undefined) {
      throw new UsageError(
        `--${flag} must be a whole number of days from ${min} to ${MAX_RETENTION_DAYS}, got ${JSON.stringify(text)}`,
      );
    }
    retention[field] = days;
  }
  const rows = rowsDays(retention);
  if (rows < 1 || rows > MAX_RETENTION_DAYS) {
    throw new UsageError(
      `--hot-days + --warm-days must be from 1 to ${MAX_RETENTION_DAYS} days (rows are deleted then), got ${retention.hotDays} + ${retention.warmDays}`,
    );
  }
  if (retention.bodiesDays > rows) {
    throw new UsageError(
      `--bodies-days ${retention.bodiesDays} must not exceed --hot-days + --warm-days (${rows}): bodies go with their rows`,
    );
  }
  return retention;
}

/** One line on where rows go and when, for the startup log. */
export function describeRetention(retention: TableRetention): string {
  const hot = retention.hotDays ?? 0;
  return `events hot ${hot} day${hot === 1 ? '' : 's'}, then cold (bucket ${LOCAL_COLD_STORAGE.bucket} on the local S3 API) until deleted at ${rowsDays(retention)} days; prompt and response emptied at ${retention.bodiesDays} days; rollups kept ${retention.minuteRollupDays} days (per minute) and ${retention.hourRollupDays} days (per hour)`;
}
