import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { type ClickHouseConfig, createClickHouseClient } from '../shared/clickhouse.js';

/**
 * The loader's environment, read once: a ClickHouse cluster over HTTPS (AWS) or an embedded
 * engine on a local path (`npm start`, tests). A wrong or missing variable fails at cold start.
 */
const Env = z
  .object({
    CLICKHOUSE_URL: z.url().optional(),
    CLICKHOUSE_USER: z.string().min(1).default('evalforge_loader'),
    /** Secrets Manager secret holding the password; read through Powertools, cached. */
    CLICKHOUSE_PASSWORD_SECRET_ARN: z.string().min(1).optional(),
    CLICKHOUSE_EMBEDDED_PATH: z.string().min(1).optional(),
  })
  .refine((env) => (env.CLICKHOUSE_URL === undefined) !== (env.CLICKHOUSE_EMBEDDED_PATH === undefined), {
    message:
      'set exactly one of CLICKHOUSE_URL (a cluster) and CLICKHOUSE_EMBEDDED_PATH (an embedded engine)',
  })
  .refine((env) => env.CLICKHOUSE_URL === undefined || env.CLICKHOUSE_PASSWORD_SECRET_ARN !== undefined, {
    message: 'CLICKHOUSE_URL needs CLICKHOUSE_PASSWORD_SECRET_ARN',
  });

function readEnv(): z.infer<typeof Env> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`loader environment is invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return parsed.data;
}

const env = readEnv();

async function config(): Promise<ClickHouseConfig> {
  if (env.CLICKHOUSE_EMBEDDED_PATH) return { kind: 'embedded', path: env.CLICKHOUSE_EMBEDDED_PATH };
  const password = await getSecret(env.CLICKHOUSE_PASSWORD_SECRET_ARN ?? '', { maxAge: 300 });
  if (typeof password !== 'string' || password.length === 0) {
    throw new Error(`secret ${env.CLICKHOUSE_PASSWORD_SECRET_ARN} holds no password string`);
  }
  return { kind: 'http', url: env.CLICKHOUSE_URL ?? '', username: env.CLICKHOUSE_USER, password };
}

let client: Promise<ClickHouseClient> | undefined;

/** One client per container, created on first use and reused by every invocation. */
export function clickHouse(): Promise<ClickHouseClient> {
  client ??= config().then(createClickHouseClient);
  // A failed start is not cached: the next invocation tries again.
  client.catch(() => {
    client = undefined;
  });
  return client;
}
