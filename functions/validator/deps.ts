import { KinesisClient } from '@aws-sdk/client-kinesis';
import { z } from 'zod';
import { KEY_STORE_ENV, lambdaKeyStore } from '../shared/auth/lambda-key-store.js';
import { parseModelPrices } from '../shared/model-prices.js';
import { readEnv } from '../shared/read-env.js';
import { DEFAULT_VALIDATOR_LIMITS, type ValidatorDeps } from './core.js';
import { kinesisPutRecords } from './kinesis-put.js';
import { SYSTEM_RUNTIME } from './runtime.js';

/** The validator's environment, read once at cold start; a missing variable fails fast by name. */
const Env = z.object({
  EVENT_STREAM_NAME: z.string().min(1, 'EVENT_STREAM_NAME must name the Kinesis stream'),
  ...KEY_STORE_ENV,
  MAX_FUTURE_SKEW_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Model prices added to or replacing the defaults, for OTLP spans with tokens and no cost (JSON). */
  MODEL_PRICES: z.string().optional(),
});

let deps: ValidatorDeps | undefined;

/**
 * The Lambda's dependencies, built on first use and then reused by every warm invocation: the
 * clients keep their connections. A missing variable fails the first request by name.
 */
export function lambdaValidatorDeps(): ValidatorDeps {
  if (deps) return deps;
  const env = readEnv(Env, process.env, 'validator');
  deps = {
    keys: lambdaKeyStore(env),
    putRecords: kinesisPutRecords(new KinesisClient({}), env.EVENT_STREAM_NAME),
    ...SYSTEM_RUNTIME,
    limits: { ...DEFAULT_VALIDATOR_LIMITS, maxFutureSkewMs: env.MAX_FUTURE_SKEW_SECONDS * 1_000 },
    ...(env.MODEL_PRICES ? { modelPrices: parseModelPrices(env.MODEL_PRICES, 'MODEL_PRICES') } : {}),
  };
  return deps;
}
