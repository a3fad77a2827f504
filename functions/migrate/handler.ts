import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { z } from 'zod';
import { type Migration, migrate, type Topology } from '../../clickhouse/migrate.js';
import { observability } from '../shared/observability.js';

/**
 * The migrations custom resource (lib/constructs/clickhouse-cluster.ts): on Create and Update it
 * waits until every node answers (and reaches Keeper, for a cluster), then applies the migrations
 * the resource carries (clickhouse/migrations as synthesized) through `migrate`. Delete leaves the
 * schema alone: the data volumes are retained, and so is what they hold.
 */
const { logger } = observability('migrate');

const envSchema = z.object({
  /** The node that runs the statements; `ON CLUSTER` carries them to the others. */
  CLICKHOUSE_URL: z.url(),
  /** Every data node, comma-separated: all must answer before the first statement. */
  CLICKHOUSE_NODE_URLS: z
    .string()
    .transform((s) => s.split(',').filter((u) => u.length > 0))
    .pipe(z.array(z.url()).min(1)),
  CLICKHOUSE_USER: z.string().min(1),
  CLICKHOUSE_PASSWORD_SECRET_ARN: z.string().min(1),
  /** The `remote_servers` cluster; absent for a single node. */
  CLICKHOUSE_CLUSTER: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .optional(),
});

/** The resource's properties; CloudFormation passes every scalar as a string. */
const propertiesSchema = z.object({
  Migrations: z
    .array(
      z.object({ Version: z.coerce.number().int().positive(), Name: z.string().min(1), Sql: z.string() }),
    )
    .min(1),
});

function readMigrations(properties: unknown): Migration[] {
  const parsed = propertiesSchema.safeParse(properties);
  if (!parsed.success) {
    throw new Error(
      `migrations resource properties are invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data.Migrations.map((m) => ({ version: m.Version, name: m.Name, sql: m.Sql }));
}

function readEnv(env: NodeJS.ProcessEnv): z.output<typeof envSchema> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `migrate environment is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Leaves this long before the function's timeout for the migrations themselves. */
const MIGRATION_BUDGET_MS = 6 * 60_000;
const POLL_MS = 15_000;
const PHYSICAL_ID = 'clickhouse-migrations';

async function problems(clients: ReadonlyMap<string, ClickHouseClient>, topology: Topology) {
  const found = await Promise.all(
    [...clients].map(async ([url, client]) => {
      try {
        await client.command({ query: 'SELECT 1' });
        if (topology.kind === 'cluster') {
          await client.command({ query: "SELECT count() FROM system.zookeeper WHERE path = '/'" });
        }
        return undefined;
      } catch (error) {
        return `${url}: ${(error as Error).message}`;
      }
    }),
  );
  return found.filter((p): p is string => p !== undefined);
}

export const handler = middy<CloudFormationCustomResourceEvent, unknown, Error, Context>()
  .use(injectLambdaContext(logger))
  .handler(async (event, context) => {
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    const env = readEnv(process.env);
    const migrations = readMigrations(event.ResourceProperties);
    const topology: Topology = env.CLICKHOUSE_CLUSTER
      ? { kind: 'cluster', cluster: env.CLICKHOUSE_CLUSTER }
      : { kind: 'single' };
    const password = await getSecret(env.CLICKHOUSE_PASSWORD_SECRET_ARN);
    if (typeof password !== 'string' || password.length === 0) {
      throw new Error(`secret ${env.CLICKHOUSE_PASSWORD_SECRET_ARN} holds no password string`);
    }
    const connect = (url: string) =>
      createClient({
        url,
        username: env.CLICKHOUSE_USER,
        password,
        database: 'default',
        // An ON CLUSTER statement returns once every node ran it.
        request_timeout: 300_000,
        clickhouse_settings: { distributed_ddl_task_timeout: '240' },
      });
    const clients = new Map(env.CLICKHOUSE_NODE_URLS.map((url) => [url, connect(url)]));
    const client = connect(env.CLICKHOUSE_URL);
    try {
      const deadline = Date.now() + context.getRemainingTimeInMillis() - MIGRATION_BUDGET_MS;
      for (;;) {
        const waiting = await problems(clients, topology);
        if (waiting.length === 0) break;
        if (Date.now() + POLL_MS > deadline) {
          throw new Error(`ClickHouse is not ready: ${waiting.join('; ')}`);
        }
        logger.info('waiting for ClickHouse', { waiting });
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const result = await migrate(client, topology, migrations);
      logger.info('migrations applied', { topology: topology.kind, ...result });
      return {
        PhysicalResourceId: PHYSICAL_ID,
        Data: { Applied: result.applied.join(' '), AlreadyApplied: result.alreadyApplied.join(' ') },
      };
    } finally {
      await Promise.all([client, ...clients.values()].map((c) => c.close()));
    }
  });
