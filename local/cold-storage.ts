import type { TableRetention } from '../clickhouse/retention.js';
import { renderStorageConfig, STORAGE_NAMES } from '../lib/constructs/clickhouse/storage-config.js';
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
  const { bucket, prefix, cachePath, cacheMaxSizeBytes } = LOCAL_COLD_STORAGE;
  const rendered = renderStorageConfig({
    endpoint: `${s3Endpoint}/${bucket}/${prefix}`,
    region: 'us-east-1',
    credentials: { source: 'keys', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    cachePath,
    cacheMaxSizeBytes,
  });
  return withDefaultHotVolume(rendered);
}

/**
 * The rendered policy with its hot volume named `default`. A table's storage policy can only be
 * changed to one holding every volume of its current one, by name, and the migrated tables are
 * on the `default` policy, whose one volume is `default`: with another name the engine refuses
 * `MODIFY SETTING storage_policy` ("New storage policy `tiered` shall contain volumes of the old
 * storage policy `default`"). A no-op once storage-config.ts names its hot volume `default`.
 */
export function withDefaultHotVolume(config: string): string {
  const hot: string = STORAGE_NAMES.hotVolume;
  if (hot === 'default') return config;
  return config.replaceAll(`<${hot}>`, '<default>').replaceAll(`</${hot}>`, '</default>');
}
