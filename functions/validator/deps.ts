import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { z } from 'zod';
import { CachedKeyStore } from '../shared/api-keys.js';
import { DynamoDbKeyStore } from '../shared/key-store-dynamodb.js';
import { DEFAULT_VALIDATOR_LIMITS, type ValidatorDeps } from './core.js';
import { kinesisPutRecords } from './kinesis-put.js';
import { SYSTEM_RUNTIME } from './runtime.js';

/** The validator's environment, read once at cold start; a missing variable fails fast by name. */
const Env = z.object({
  EVENT_STREAM_NAME: z.string().min(1, 'EVENT_STREAM_NAME must name the Kinesis stream'),
  API_KEYS_TABLE_NAME: z.string().min(1, 'API_KEYS_TABLE_NAME must name the DynamoDB key table'),
  KEY_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
  MAX_FUTURE_SKEW_SECONDS: z.coerce.number().int().min(0).default(300),
});

function readEnv(): z.infer<typeof Env> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `validator environment is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

let deps: ValidatorDeps | undefined;

/**
 * The Lambda's dependencies, built on first use and then reused by every warm invocation: the
 * clients keep their connections. A missing variable fails the first request by name.
 */
export function lambdaValidatorDeps(): ValidatorDeps {
  if (deps) return deps;
  const env = readEnv();
  const kinesis = new KinesisClient({});
  const dynamodb = new DynamoDBClient({});
  deps = {
    keys: new CachedKeyStore(new DynamoDbKeyStore(dynamodb, env.API_KEYS_TABLE_NAME), {
      positiveTtlMs: env.KEY_CACHE_TTL_SECONDS * 1_000,
      negativeTtlMs: 5_000,
      maxEntries: 10_000,
      now: Date.now,
    }),
    putRecords: kinesisPutRecords(kinesis, env.EVENT_STREAM_NAME),
    ...SYSTEM_RUNTIME,
    limits: { ...DEFAULT_VALIDATOR_LIMITS, maxFutureSkewMs: env.MAX_FUTURE_SKEW_SECONDS * 1_000 },
  };
  return deps;
}
