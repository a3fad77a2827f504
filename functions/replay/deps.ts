import { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { ClickHouseLoaderStore } from '../shared/load/clickhouse-store.js';
import { clickHouse, shardedStore } from '../shared/load/clients.js';
import type { LoaderStore, ShardedStore } from '../shared/load/core.js';
import { readEnv } from '../shared/read-env.js';
import type { ArchiveReader } from './core.js';
import { S3ArchiveReader } from './s3-archive.js';

/**
 * The replay function's own variables; ClickHouse's (`CLICKHOUSE_URL`, `CLICKHOUSE_USER`,
 * `CLICKHOUSE_PASSWORD_SECRET_ARN`, `CLICKHOUSE_CA_CERT`, `CLICKHOUSE_SHARD_URLS`) are the
 * loader's, read by functions/shared/load/clients.ts: the replay loads as the loader does.
 */
const ReplayEnv = z.object({
  /** The raw archive bucket. */
  ARCHIVE_BUCKET_NAME: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not a bucket name'),
  /** Invocations loading at once when a replay names no `maxConcurrency` (the tier's default). */
  REPLAY_DEFAULT_MAX_CONCURRENCY: z
    .string()
    .regex(/^[1-9]\d{0,3}$/, 'is not a whole number from 1 to 9,999')
    .transform(Number),
});

export type ReplaySettings = z.output<typeof ReplayEnv>;

/** The replay function's settings from `env`; throws naming every variable at fault. */
export function readReplayEnv(env: Readonly<Record<string, string | undefined>>): ReplaySettings {
  return readEnv(ReplayEnv, env, 'replay');
}

let settings: ReplaySettings | undefined;
/** The settings of this container, read on first use. */
export function replaySettings(): ReplaySettings {
  settings ??= readReplayEnv(process.env);
  return settings;
}

let archive: ArchiveReader | undefined;
/** The archive bucket through one S3 client per container. */
export function archiveReader(): ArchiveReader {
  archive ??= new S3ArchiveReader(new S3Client({}), replaySettings().ARCHIVE_BUCKET_NAME);
  return archive;
}

/** The loader's store: per-shard stores when `CLICKHOUSE_SHARD_URLS` is set, else the one client's. */
export async function loaderStore(): Promise<LoaderStore | ShardedStore> {
  return (await shardedStore()) ?? new ClickHouseLoaderStore(await clickHouse());
}

/** The loader's client (the cluster's Distributed tables): what a redrive reads dead letters with. */
export const replayClient = (): Promise<ClickHouseClient> => clickHouse();
