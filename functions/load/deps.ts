import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseFromEnv, readClickHouseEnv } from '../shared/clickhouse-env.js';

/**
 * The loader's environment, read once: a ClickHouse cluster over HTTPS (AWS) or an embedded
 * engine on a local path (`npm start`, tests). A wrong or missing variable fails at cold start.
 */
const env = readClickHouseEnv(process.env, { functionName: 'loader', defaultUser: 'evalforge_loader' });

let client: Promise<ClickHouseClient> | undefined;

/** One client per container, created on first use and reused by every invocation. */
export function clickHouse(): Promise<ClickHouseClient> {
  client ??= clickHouseFromEnv(env);
  // A failed start is not cached: the next invocation tries again.
  client.catch(() => {
    client = undefined;
  });
  return client;
}
