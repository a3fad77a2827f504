/**
 * The loader's ClickHouse connections, shared by the functions that load as the loader does: the
 * loader (functions/load) and the replay job (functions/replay), each with one client (and one
 * store per shard) per container, read from the loader's variables.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { type ClickHouseConfig, createClickHouseClient } from '../clickhouse/client.js';
import { clickHouseConfig, readClickHouseEnv } from '../clickhouse/env.js';
import { jsonText, readEnv } from '../read-env.js';
import { ClickHouseLoaderStore } from './clickhouse-store.js';
import type { ShardedStore } from './core.js';
import { LOADER_REQUEST_GZIP_LEVEL } from './insert-path.js';
import { shardOf } from './shard-routing.js';

const READ_OPTIONS = { functionName: 'loader', defaultUser: 'evalforge_loader' } as const;

let client: Promise<ClickHouseClient> | undefined;

/**
 * The loader's connection settings: a server's insert bodies are gzip at `LOADER_REQUEST_GZIP_LEVEL`
 * rather than zlib's default, most of the loader's CPU otherwise. The embedded engine takes none.
 */
export function loaderClientConfig(config: ClickHouseConfig): ClickHouseConfig {
  return config.kind === 'http' ? { ...config, requestGzipLevel: LOADER_REQUEST_GZIP_LEVEL } : config;
}

/**
 * One client per container, created on first use and reused by every invocation: a ClickHouse
 * cluster over HTTP inside the VPC (AWS) or an embedded engine on a local path, as the
 * environment says. A wrong or missing variable fails the first invocation by name; `npm start`
 * passes its own client to the handler and never reads it.
 */
export function clickHouse(): Promise<ClickHouseClient> {
  client ??= Promise.resolve().then(async () =>
    createClickHouseClient(
      loaderClientConfig(await clickHouseConfig(readClickHouseEnv(process.env, READ_OPTIONS))),
    ),
  );
  // A failed start is not cached: the next invocation tries again.
  client.catch(() => {
    client = undefined;
  });
  return client;
}

/**
 * `CLICKHOUSE_SHARD_URLS`: the cluster's shards in the order of its `remote_servers` definition
 * (the order the Distributed tables number them in), each the list of its replicas' HTTP URLs,
 * e.g. `[["http://s1r1:8123","http://s1r2:8123"],["http://s2r1:8123","http://s2r2:8123"]]`. Every
 * shard lists the same number of replicas. The loader connects with `CLICKHOUSE_USER` and the
 * password of `CLICKHOUSE_PASSWORD_SECRET_ARN`, sends everything of a shard to its first replica
 * and waits for all of them (`insert_quorum`). Unset: inserts go through `CLICKHOUSE_URL`'s
 * Distributed tables, or the embedded engine.
 */
export const ShardUrlsSchema = jsonText().pipe(
  z
    .array(z.array(z.url()).min(1, 'a shard needs at least one replica URL'))
    .min(1, 'needs at least one shard')
    .refine((shards) => shards.every((s) => s.length === shards[0]?.length), {
      message: 'every shard must list the same number of replicas',
    }),
);

const LoaderEnv = z.object({ CLICKHOUSE_SHARD_URLS: ShardUrlsSchema.optional() });

/** The shards `CLICKHOUSE_SHARD_URLS` names, or undefined when it is unset. */
export function readShardUrls(env: Readonly<Record<string, string | undefined>>): string[][] | undefined {
  return readEnv(LoaderEnv, env, 'loader').CLICKHOUSE_SHARD_URLS;
}

let sharded: Promise<ShardedStore | undefined> | undefined;

/**
 * The loader's per-shard stores when `CLICKHOUSE_SHARD_URLS` is set: one client per shard, to its
 * first replica, created once per container. Undefined when the variable is unset.
 */
export function shardedStore(): Promise<ShardedStore | undefined> {
  sharded ??= Promise.resolve().then(async () => {
    const shards = readShardUrls(process.env);
    if (!shards) return undefined;
    const config = await clickHouseConfig(readClickHouseEnv(process.env, READ_OPTIONS));
    if (config.kind !== 'http')
      throw new Error('loader environment is invalid: CLICKHOUSE_SHARD_URLS needs CLICKHOUSE_URL');
    const stores = await Promise.all(
      shards.map(async (replicas) => {
        const shardClient = await createClickHouseClient(
          loaderClientConfig({ ...config, url: replicas[0] as string }),
        );
        return new ClickHouseLoaderStore(shardClient, { kind: 'shard', replicas: replicas.length });
      }),
    );
    return { shards: stores, shardOf: (projectId: string) => shardOf(projectId, stores.length) };
  });
  sharded.catch(() => {
    sharded = undefined;
  });
  return sharded;
}
