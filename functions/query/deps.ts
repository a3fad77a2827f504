import { z } from 'zod';
import { KEY_STORE_ENV, lambdaKeyStore } from '../shared/auth/lambda-key-store.js';
import { clickHouseFromEnv, readClickHouseEnv } from '../shared/clickhouse/env.js';
import { readEnv } from '../shared/read-env.js';
import type { QueryDeps } from './core.js';

/** The query function's own variables; the ClickHouse ones are read as the loader reads them. */
const Env = z.object({ ...KEY_STORE_ENV });

async function create(): Promise<QueryDeps> {
  const env = readEnv(Env, process.env, 'query');
  const clickhouse = await clickHouseFromEnv(
    readClickHouseEnv(process.env, { functionName: 'query', defaultUser: 'evalforge_query' }),
  );
  return { keys: lambdaKeyStore(env), clickhouse, now: Date.now };
}

let deps: Promise<QueryDeps> | undefined;

/**
 * The deployed function's dependencies, made on first use and reused by every invocation of the
 * container. The environment is read then, not when the module loads: the local runtime imports
 * the handler without these variables. A failed start is not kept, so the next request retries.
 */
export function lambdaQueryDeps(): Promise<QueryDeps> {
  deps ??= create();
  deps.catch(() => {
    deps = undefined;
  });
  return deps;
}
