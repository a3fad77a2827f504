import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseFromEnv, readClickHouseEnv } from '../shared/clickhouse/env.js';

let client: Promise<ClickHouseClient> | undefined;

/**
 * One client per container, created on first use and reused by every invocation: a ClickHouse
 * cluster over HTTP inside the VPC (AWS) or an embedded engine on a local path, as the
 * environment says. A wrong or missing variable fails the first invocation by name; `npm start`
 * passes its own client to the handler and never reads it.
 */
export function clickHouse(): Promise<ClickHouseClient> {
  client ??= Promise.resolve().then(() =>
    clickHouseFromEnv(
      readClickHouseEnv(process.env, { functionName: 'loader', defaultUser: 'evalforge_loader' }),
    ),
  );
  // A failed start is not cached: the next invocation tries again.
  client.catch(() => {
    client = undefined;
  });
  return client;
}
