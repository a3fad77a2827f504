import { z } from 'zod';
import { KEY_STORE_ENV, lambdaKeyStore } from '../shared/auth/lambda-key-store.js';
import { clickHouseFromEnv, readClickHouseEnv } from '../shared/clickhouse/env.js';
import { jsonText, readEnv } from '../shared/read-env.js';
import type { QueryDeps } from './core.js';

/** The query function's own variables; the ClickHouse ones are read as the loader reads them. */
const Env = z.object({
  ...KEY_STORE_ENV,
  /** Lambda's own region: a key homed in another region is answered 421. */
  AWS_REGION: z.string().min(1).optional(),
  /** A deployment across regions: JSON, region → that region's API endpoint (https://ingest.<region>.<domain>). */
  REGIONAL_ENDPOINTS: jsonText()
    .pipe(z.record(z.string(), z.url({ protocol: /^https$/, message: 'values must be https URLs' })))
    .optional(),
});

async function create(): Promise<QueryDeps> {
  const env = readEnv(Env, process.env, 'query');
  const clickhouse = await clickHouseFromEnv(
    readClickHouseEnv(process.env, { functionName: 'query', defaultUser: 'evalforge_query' }),
  );
  return {
    keys: lambdaKeyStore(env),
    clickhouse,
    now: Date.now,
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(env.REGIONAL_ENDPOINTS ? { regionalEndpoints: env.REGIONAL_ENDPOINTS } : {}),
  };
}

/**
 * The web dashboard's origin, `https://<distribution domain>`: the one origin a browser may read
 * answers from (cors.ts). Unset locally, where the dashboard and the API share an origin.
 */
const CorsEnv = z.object({
  DASHBOARD_ORIGIN: z
    .string()
    .regex(
      /^https:\/\/[^/\s]+$/,
      'must be an https origin without a path, like https://d111111abcdef8.cloudfront.net',
    )
    .optional(),
});

let dashboardOrigin: { readonly value: string | undefined } | undefined;

/** The origin allowed to read the API from a browser, read once; throws by name when it is malformed. */
export function lambdaDashboardOrigin(): string | undefined {
  dashboardOrigin ??= { value: readEnv(CorsEnv, process.env, 'query').DASHBOARD_ORIGIN };
  return dashboardOrigin.value;
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
