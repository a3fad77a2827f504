import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@clickhouse/client';
import { z } from 'zod';
import { tlsOptions } from '../shared/clickhouse/client.js';
import { caCertificateSchema, nodeUrlsSchema, passwordFromSecret } from '../shared/clickhouse/env.js';
import { observability } from '../shared/observability.js';
import { readEnv } from '../shared/read-env.js';
import type { MigrateDeps } from './core.js';

/** The function's logger, at module scope: the handler adds the invocation's context to it. */
export const { logger } = observability('migrate');

/** Where the cluster is and who runs the statements (lib/constructs/clickhouse/migration.ts sets them). */
const Env = z.object({
  /** The node that runs the statements; `ON CLUSTER` carries them to the others. */
  CLICKHOUSE_URL: z.url(),
  /** Every data node, comma-separated: all must answer before the first statement. */
  CLICKHOUSE_NODE_URLS: nodeUrlsSchema,
  CLICKHOUSE_USER: z.string().min(1),
  CLICKHOUSE_PASSWORD_SECRET_ARN: z.string().min(1),
  /** The cluster's CA (base64 DER): the nodes' HTTPS certificates must chain to it. */
  CLICKHOUSE_CA_CERT: caCertificateSchema.optional(),
});

type MigrateEnv = z.output<typeof Env>;

/** The password from its secret, at every deployment: a secret updated since the last one is used. */
async function connector(env: MigrateEnv) {
  const password = await passwordFromSecret(env.CLICKHOUSE_PASSWORD_SECRET_ARN);
  return (url: string) =>
    createClient({
      url,
      username: env.CLICKHOUSE_USER,
      password,
      database: 'default',
      // An ON CLUSTER statement returns once every node ran it.
      request_timeout: 300_000,
      clickhouse_settings: { distributed_ddl_task_timeout: '240' },
      ...tlsOptions(env.CLICKHOUSE_CA_CERT),
    });
}

let deps: MigrateDeps | undefined;

/**
 * The deployed function's dependencies, made on first use and reused by every invocation of the
 * container; a wrong or missing variable fails the request by name. Clients are opened per
 * request and closed by the core: the function runs at deployments only, months apart.
 */
export function lambdaMigrateDeps(): MigrateDeps {
  if (deps) return deps;
  const env = readEnv(Env, process.env, 'migrate');
  deps = {
    url: env.CLICKHOUSE_URL,
    nodeUrls: env.CLICKHOUSE_NODE_URLS,
    connector: () => connector(env),
    now: Date.now,
    sleep: (ms) => sleep(ms),
    log: logger,
  };
  return deps;
}
