import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { z } from 'zod';
import { type Migration, migrate, renderMigration, type Topology } from '../../clickhouse/migrate.js';
import { observability } from '../shared/observability.js';

/**
 * The migrations custom resource of lib/constructs/clickhouse-cluster.ts. On Create and Update it
 * waits until every node answers (and reaches Keeper, for a cluster), then applies the migrations
 * the resource carries (clickhouse/migrations as synthesized) through `migrate`. When an Update
 * adds nodes, every statement is first run again `ON CLUSTER` (they are idempotent), so the new
 * nodes get the tables that `schema_migrations` already records. Delete leaves the schema alone:
 * the data volumes are retained, and so is what they hold.
 */
const { logger } = observability('migrate');

/** Where the cluster is and who runs the statements. */
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
});

/** What to apply; CloudFormation passes every scalar property as a string. */
const propertiesSchema = z.object({
  /** `evalforge` for a replicated cluster, empty for a single node. */
  Cluster: z.union([z.literal(''), z.string().regex(/^[a-z_][a-z0-9_]*$/)]),
  /** The data nodes' names, comma-separated. */
  Nodes: z.string().min(1),
  Migrations: z
    .array(
      z.object({ Version: z.coerce.number().int().positive(), Name: z.string().min(1), Sql: z.string() }),
    )
    .min(1),
});

type Properties = z.output<typeof propertiesSchema>;

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `invalid ${what}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

const topologyOf = (p: Pick<Properties, 'Cluster'>): Topology =>
  p.Cluster ? { kind: 'cluster', cluster: p.Cluster } : { kind: 'single' };

/**
 * Whether an Update must replay every statement: yes when nodes were added to a cluster. A move
 * between one node and a cluster is refused: its tables would have to be rebuilt and its data moved.
 */
function mustReplay(event: CloudFormationCustomResourceEvent, next: Properties): boolean {
  if (event.RequestType !== 'Update') return false;
  const previous = propertiesSchema
    .pick({ Cluster: true, Nodes: true })
    .partial()
    .safeParse(event.OldResourceProperties);
  if (!previous.success || previous.data.Nodes === undefined) return false;
  if ((previous.data.Cluster ?? '') !== next.Cluster) {
    throw new Error(
      `ClickHouse moved from ${previous.data.Cluster || 'a single node'} to ${next.Cluster || 'a single node'}: the tables differ (MergeTree vs Replicated with Distributed) and the data is not moved; migrate the data by hand, not by a tier change`,
    );
  }
  return previous.data.Nodes !== next.Nodes && next.Cluster !== '';
}

/** Leaves this long before the function's timeout for the migrations themselves. */
const MIGRATION_BUDGET_MS = 6 * 60_000;
const POLL_MS = 15_000;
const PHYSICAL_ID = 'clickhouse-migrations';

async function notReady(
  clients: ReadonlyMap<string, ClickHouseClient>,
  topology: Topology,
): Promise<string[]> {
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

async function replay(client: ClickHouseClient, topology: Topology, migrations: readonly Migration[]) {
  for (const migration of migrations) {
    for (const statement of renderMigration(migration.sql, topology)) {
      await client.command({ query: statement });
    }
  }
}

export const handler = middy<CloudFormationCustomResourceEvent, unknown, Error, Context>()
  .use(injectLambdaContext(logger))
  .handler(async (event, context) => {
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    const env = parse(envSchema, process.env, 'migrate environment');
    const properties = parse(propertiesSchema, event.ResourceProperties, 'migrations resource properties');
    const topology = topologyOf(properties);
    const migrations: Migration[] = properties.Migrations.map((m) => ({
      version: m.Version,
      name: m.Name,
      sql: m.Sql,
    }));
    const replayAll = mustReplay(event, properties);
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
    const nodes = new Map(env.CLICKHOUSE_NODE_URLS.map((url) => [url, connect(url)]));
    const client = connect(env.CLICKHOUSE_URL);
    try {
      const deadline = Date.now() + context.getRemainingTimeInMillis() - MIGRATION_BUDGET_MS;
      for (;;) {
        const waiting = await notReady(nodes, topology);
        if (waiting.length === 0) break;
        if (Date.now() + POLL_MS > deadline)
          throw new Error(`ClickHouse is not ready: ${waiting.join('; ')}`);
        logger.info('waiting for ClickHouse', { waiting });
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      if (replayAll) {
        logger.info('nodes added: running every migration again on the cluster', { nodes: properties.Nodes });
        await replay(client, topology, migrations);
      }
      const result = await migrate(client, topology, migrations);
      logger.info('migrations applied', { topology: topology.kind, replayed: replayAll, ...result });
      return {
        PhysicalResourceId: PHYSICAL_ID,
        Data: { Applied: result.applied.join(' '), AlreadyApplied: result.alreadyApplied.join(' ') },
      };
    } finally {
      await Promise.all([client, ...nodes.values()].map((c) => c.close()));
    }
  });
