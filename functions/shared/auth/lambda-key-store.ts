import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { CachedKeyStore, type KeyStore } from './api-keys.js';
import { DynamoDbKeyStore } from './key-store-dynamodb.js';

/**
 * The variables of a deployed function that authenticates API keys: its key table and how long a
 * key it found is trusted. A zod shape, spread into the function's own environment schema.
 */
export const KEY_STORE_ENV = {
  API_KEYS_TABLE_NAME: z.string().min(1, 'API_KEYS_TABLE_NAME must name the DynamoDB key table'),
  KEY_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
};

/** What {@link lambdaKeyStore} reads of the environment, parsed. */
export type KeyStoreEnv = z.output<z.ZodObject<typeof KEY_STORE_ENV>>;

/**
 * The key store of a deployed function: the DynamoDB table behind a cache that lives as long as
 * the container, so most requests never reach DynamoDB. Unknown key ids are remembered for 5 s,
 * so a flood of bad keys does not reach the table either; a revocation bites within the TTL.
 */
export function lambdaKeyStore(
  env: KeyStoreEnv,
  dynamodb: DynamoDBClient = new DynamoDBClient({}),
): KeyStore {
  return new CachedKeyStore(new DynamoDbKeyStore(dynamodb, env.API_KEYS_TABLE_NAME), {
    positiveTtlMs: env.KEY_CACHE_TTL_SECONDS * 1_000,
    negativeTtlMs: 5_000,
    maxEntries: 10_000,
    now: Date.now,
  });
}
