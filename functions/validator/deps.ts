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
  /**
   * A deployment across regions: this region's transit stream, for projects homed in another
   * region (functions/forward takes them home). Unset in a single-region deployment.
   */
  TRANSIT_STREAM_NAME: z.string().min(1).optional(),
  /** Lambda's own region, which a key's home region is compared with. */
  AWS_REGION: z.string().min(1).optional(),
});

let deps: ValidatorDeps | undefined;

/**
 * The Lambda's dependencies, built on first use and then reused by every warm invocation: the
 * clients keep their connections. A missing variable fails the first request by name.
 */
export function lambdaValidatorDeps(): ValidatorDeps {
  if (deps) return deps;
  const env = readEnv(Env, process.env, 'validator');
  const kinesis = new KinesisClient({});
  if (env.TRANSIT_STREAM_NAME && !env.AWS_REGION) {
    throw new Error('validator environment is invalid: TRANSIT_STREAM_NAME needs AWS_REGION');
  }
  deps = {
    keys: lambdaKeyStore(env),
    putRecords: kinesisPutRecords(kinesis, env.EVENT_STREAM_NAME),
    // A key homed in another region is forwarded through the transit stream, or refused 421
    // in a single-region deployment: its events are not stored outside their home.
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(env.TRANSIT_STREAM_NAME ? { transit: kinesisPutRecords(kinesis, env.TRANSIT_STREAM_NAME) } : {}),
    ...SYSTEM_RUNTIME,
    limits: { ...DEFAULT_VALIDATOR_LIMITS, maxFutureSkewMs: env.MAX_FUTURE_SKEW_SECONDS * 1_000 },
    ...(env.MODEL_PRICES ? { modelPrices: parseModelPrices(env.MODEL_PRICES, 'MODEL_PRICES') } : {}),
  };
  return deps;
}
