import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { CachedKeyStore } from '../shared/api-keys.js';
import { clickHouseFromEnv, readClickHouseEnv } from '../shared/clickhouse-env.js';
import { DynamoDbKeyStore } from '../shared/key-store-dynamodb.js';
import type { QueryDeps } from './api.js';

/** The query function's own variables; the ClickHouse ones are read as the loader reads them. */
const Env = z.object({
  API_KEYS_TABLE_NAME: z.string().min(1, 'API_KEYS_TABLE_NAME must name the DynamoDB key table'),
  KEY_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
});

async function create(): Promise<QueryDeps> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `query environment is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const env = parsed.data;
  const clickhouse = await clickHouseFromEnv(
    readClickHouseEnv(process.env, { functionName: 'query', defaultUser: 'evalforge_query' }),
  );
  return {
    keys: new CachedKeyStore(new DynamoDbKeyStore(new DynamoDBClient({}), env.API_KEYS_TABLE_NAME), {
      positiveTtlMs: env.KEY_CACHE_TTL_SECONDS * 1_000,
      negativeTtlMs: 5_000,
      maxEntries: 10_000,
      now: Date.now,
    }),
    clickhouse,
    now: Date.now,
  };
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
