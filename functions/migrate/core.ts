import type { ClickHouseClient } from '@clickhouse/client';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { type Migration, migrate, renderMigration, type Topology } from '../../clickhouse/migrate.js';
import { applyRetention, type TableRetention, validateRetention } from '../../clickhouse/retention.js';
import { describeZodIssues } from '../shared/zod-issues.js';

/**
 * The migrations custom resource of lib/constructs/clickhouse/migration.ts. On Create and Update
 * it waits until every node answers (and reaches Keeper, for a cluster), then applies the
 * migrations the resource carries (clickhouse/migrations as synthesized) through `migrate`. When
 * an Update adds nodes, every statement is first run again `ON CLUSTER` (they are idempotent), so
 * the new nodes get the tables that `schema_migrations` already records. Then it gives the tables
 * the resource's `Retention` (clickhouse/retention.ts) unless it is the one last applied; after a
 * replay always, since the new nodes' tables have only the migrations' TTLs. A tier change brings
 * new retention values: the tables are altered, never recreated, so the data stays. Delete leaves
 * the schema alone: the data volumes and the cold bucket are retained, and so is what they hold.
 */

/** Where the core writes what it is waiting for and what it did. */
export interface MigrateLog {
  info(message: string, details: Record<string, unknown>): void;
}

/** What the core is given: the cluster's nodes, a way to reach them, the clock and a log. */
export interface MigrateDeps {
  /** The node that runs the statements; `ON CLUSTER` carries them to the others. */
  readonly url: string;
  /** Every data node: all must answer before the first statement. */
  readonly nodeUrls: readonly string[];
  /**
   * Reads the credentials of the user that runs the statements and gives a way to open a client
   * to a node as that user. Called once per Create or Update, after the request is checked (the
   * password is read again at every deployment); the core closes every client it opens.
   */
  readonly connector: () => Promise<(url: string) => ClickHouseClient>;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: MigrateLog;
}

/** The answer to CloudFormation: the resource's id and, on Create and Update, what was applied. */
export interface MigrationsResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: {
    readonly Applied: string;
    readonly AlreadyApplied: string;
    /** 'true' when the retention's statements ran, 'false' when it was the one last applied. */
    readonly RetentionApplied: 'true' | 'false';
  };
}

/** A count of days as CloudFormation passes it: a string of a whole number. */
const days = z.coerce.number().int().nonnegative();

/** What to apply; CloudFormation passes every scalar property as a string. */
const propertiesSchema = z.object({
  /** `evalforge` for a replicated cluster (every tier), empty for one node without Keeper. */
  Cluster: z.union([z.literal(''), z.string().regex(/^[a-z_][a-z0-9_]*$/)]),
  /** The data nodes' names, comma-separated. */
  Nodes: z.string().min(1),
  Migrations: z
    .array(
      z.object({ Version: z.coerce.number().int().positive(), Name: z.string().min(1), Sql: z.string() }),
    )
    .min(1),
  /** The tier's retention (lib/constructs/clickhouse/migration.ts `retentionProperty`). */
  Retention: z.object({
    /** '' when the nodes have no cold volume: nothing moves. */
    HotDays: z.union([z.literal('').transform(() => null), days]),
    WarmDays: days,
    BodiesDays: days,
    MinuteRollupDays: days,
    HourRollupDays: days,
    TtlMergeTimeoutSec: z.coerce.number().int().positive(),
  }),
});

type Properties = z.output<typeof propertiesSchema>;

/** The resource's one physical id: an Update never replaces it, so CloudFormation never deletes it. */
export const PHYSICAL_ID = 'clickhouse-migrations';
/** Leaves this long before the function's timeout for the migrations themselves. */
export const MIGRATION_BUDGET_MS = 6 * 60_000;
/** How often the nodes are asked again while one of them does not answer. */
export const POLL_MS = 15_000;

function parseProperties(value: unknown): Properties {
  const parsed = propertiesSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`invalid migrations resource properties: ${describeZodIssues(parsed.error)}`);
  }
  return parsed.data;
}

const retentionOf = ({ Retention: r }: Pick<Properties, 'Retention'>): TableRetention => ({
  hotDays: r.HotDays,
  warmDays: r.WarmDays,
  bodiesDays: r.BodiesDays,
  minuteRollupDays: r.MinuteRollupDays,
  hourRollupDays: r.HourRollupDays,
  ttlMergeTimeoutSec: r.TtlMergeTimeoutSec,
});

const topologyOf = (p: Pick<Properties, 'Cluster'>): Topology =>
  p.Cluster ? { kind: 'cluster', cluster: p.Cluster } : { kind: 'single' };

/**
 * Whether an Update must replay every statement: yes when nodes were added to a cluster. A move
 * between a node without Keeper and a cluster is refused: its tables would have to be rebuilt and
 * its data moved.
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

/** The nodes that do not answer yet (or, on a cluster, do not reach Keeper), each with its error. */
async function notReady(nodes: ReadonlyMap<string, ClickHouseClient>, topology: Topology): Promise<string[]> {
  const found = await Promise.all(
    [...nodes].map(async ([url, client]) => {
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

/**
 * Answers one custom resource request. `remainingTimeMs` is the invocation's time left: the wait
 * for the nodes ends {@link MIGRATION_BUDGET_MS} before it. `deps` is called only for Create and
 * Update, so a Delete needs no environment.
 */
export async function onMigrationsEvent(
  event: CloudFormationCustomResourceEvent,
  remainingTimeMs: number,
  deps: () => MigrateDeps,
): Promise<MigrationsResponse> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const { url, nodeUrls, connector, now, sleep, log } = deps();
  const properties = parseProperties(event.ResourceProperties);
  const topology = topologyOf(properties);
  const migrations: Migration[] = properties.Migrations.map((m) => ({
    version: m.Version,
    name: m.Name,
    sql: m.Sql,
  }));
  const retention = retentionOf(properties);
  // Before any node is touched: days the tables cannot be given fail the request by name.
  validateRetention(retention);
  const replayAll = mustReplay(event, properties);
  const connect = await connector();
  const nodes = new Map(nodeUrls.map((nodeUrl) => [nodeUrl, connect(nodeUrl)]));
  const client = connect(url);
  try {
    const deadline = now() + remainingTimeMs - MIGRATION_BUDGET_MS;
    for (;;) {
      const waiting = await notReady(nodes, topology);
      if (waiting.length === 0) break;
      if (now() + POLL_MS > deadline) throw new Error(`ClickHouse is not ready: ${waiting.join('; ')}`);
      log.info('waiting for ClickHouse', { waiting });
      await sleep(POLL_MS);
    }
    if (replayAll) {
      log.info('nodes added: running every migration again on the cluster', { nodes: properties.Nodes });
      await replay(client, topology, migrations);
    }
    const result = await migrate(client, topology, migrations, { now });
    log.info('migrations applied', { topology: topology.kind, replayed: replayAll, ...result });
    const { applied } = await applyRetention(client, topology, retention, { force: replayAll, now });
    log.info(applied ? 'retention applied' : 'retention unchanged', { retention, forced: replayAll });
    return {
      PhysicalResourceId: PHYSICAL_ID,
      Data: {
        Applied: result.applied.join(' '),
        AlreadyApplied: result.alreadyApplied.join(' '),
        RetentionApplied: applied ? 'true' : 'false',
      },
    };
  } finally {
    await Promise.all([client, ...nodes.values()].map((c) => c.close()));
  }
}
