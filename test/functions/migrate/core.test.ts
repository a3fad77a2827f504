import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MigrationError } from '../../../clickhouse/migrate.js';
import {
  MIGRATION_BUDGET_MS,
  type MigrateDeps,
  onMigrationsEvent,
  PHYSICAL_ID,
  POLL_MS,
} from '../../../functions/migrate/core.js';

const CREATE = JSON.parse(
  readFileSync(new URL('../../fixtures/cloudformation/migrations-create.json', import.meta.url), 'utf8'),
) as CloudFormationCustomResourceEvent & { RequestType: 'Create' };

const URLS = [
  'http://s1r1.clickhouse.evalforge.internal:8123',
  'http://s2r1.clickhouse.evalforge.internal:8123',
];
const FIRST = URLS[0] as string;
const SECOND = URLS[1] as string;
const ZOOKEEPER = "SELECT count() FROM system.zookeeper WHERE path = '/'";
const T0 = Date.parse('2026-02-01T10:00:00Z');

function update(
  properties: Partial<typeof CREATE.ResourceProperties>,
  old: Record<string, unknown>,
): CloudFormationCustomResourceEvent {
  return {
    ...CREATE,
    RequestType: 'Update',
    PhysicalResourceId: PHYSICAL_ID,
    ResourceProperties: { ...CREATE.ResourceProperties, ...properties },
    OldResourceProperties: { ...CREATE.ResourceProperties, ...old },
  };
}

interface Recorded {
  version: number;
  name: string;
  checksum: string;
  applied_at: number;
}

/**
 * A cluster in memory, as far as the core and `migrate` use it: every statement is kept with the
 * node it was sent to, `schema_migrations` is shared (it is replicated), a node can refuse the
 * first pings, and a statement can fail.
 */
function fakeCluster(options: { downForPolls?: Record<string, number>; failing?: RegExp } = {}) {
  const statements: [string, string][] = [];
  const recorded: Recorded[] = [];
  const closed: string[] = [];
  const logs: string[] = [];
  const sleeps: number[] = [];
  const down = { ...options.downForPolls };
  let time = T0;
  let connections = 0;
  const client = (url: string) =>
    ({
      command: async ({ query }: { query: string }) => {
        statements.push([url, query]);
        if (query === 'SELECT 1' && (down[url] ?? 0) > 0) {
          down[url] = (down[url] ?? 0) - 1;
          throw new Error(`connect ECONNREFUSED (${url})`);
        }
        if (options.failing?.test(query)) throw new Error('Code: 62. DB::Exception: Syntax error');
        return {};
      },
      query: async () => ({ json: async () => recorded.map(({ applied_at: _, ...r }) => r) }),
      insert: async ({ table, values }: { table: string; values: Recorded[] }) => {
        statements.push([url, `INSERT INTO ${table}`]);
        recorded.push(...values);
        return {};
      },
      close: async () => {
        closed.push(url);
      },
    }) as unknown as ClickHouseClient;
  const deps: MigrateDeps = {
    url: FIRST,
    nodeUrls: URLS,
    connector: async () => {
      connections += 1;
      return client;
    },
    now: () => time,
    sleep: async (ms) => {
      sleeps.push(ms);
      time += ms;
    },
    log: { info: (message) => logs.push(message) },
  };
  const sentTo = (url: string) => statements.filter(([u]) => u === url).map(([, s]) => s);
  return {
    deps: () => deps,
    statements,
    sentTo,
    ddl: () => sentTo(FIRST).filter((s) => /^(CREATE|ALTER)/.test(s)),
    recorded,
    closed,
    logs,
    sleeps,
    connections: () => connections,
  };
}

/** Time enough for the wait and the migrations: the wait may use all but the budget. */
const REMAINING_MS = MIGRATION_BUDGET_MS + 10 * POLL_MS;

describe('onMigrationsEvent', () => {
  it('applies every migration on the first node, ON CLUSTER, once every node answers and reaches Keeper', async () => {
    const cluster = fakeCluster();
    const response = await onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    expect(response).toEqual({
      PhysicalResourceId: PHYSICAL_ID,
      Data: { Applied: '0001_events 0002_events_ttl', AlreadyApplied: '' },
    });
    for (const url of URLS) expect(cluster.sentTo(url).slice(0, 2)).toEqual(['SELECT 1', ZOOKEEPER]);
    expect(cluster.ddl()).toEqual([
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER evalforge /),
      "CREATE TABLE IF NOT EXISTS events_local ON CLUSTER evalforge (id String) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/events_local', '{replica}') ORDER BY id",
      'CREATE TABLE IF NOT EXISTS events ON CLUSTER evalforge AS events_local ENGINE = Distributed(evalforge, currentDatabase(), events_local, cityHash64(id))',
      'ALTER TABLE events_local ON CLUSTER evalforge MODIFY TTL now() + INTERVAL 1 DAY',
    ]);
    expect(cluster.sentTo(SECOND).filter((s) => /^(CREATE|ALTER)/.test(s))).toEqual([]);
    expect(cluster.recorded.map((r) => [r.version, r.name, r.applied_at])).toEqual([
      [1, 'events', T0],
      [2, 'events_ttl', T0],
    ]);
    expect(cluster.sleeps).toEqual([]);
    expect(cluster.closed.sort()).toEqual([FIRST, ...URLS].sort());
  });

  it('applies plain tables on a single node, without asking for Keeper', async () => {
    const cluster = fakeCluster();
    const event = {
      ...CREATE,
      ResourceProperties: { ...CREATE.ResourceProperties, Cluster: '', Nodes: 's1r1' },
    };
    await onMigrationsEvent(event, REMAINING_MS, cluster.deps);
    expect(cluster.statements.map(([, s]) => s)).not.toContain(ZOOKEEPER);
    expect(cluster.ddl()[1]).toBe(
      'CREATE TABLE IF NOT EXISTS events  (id String) ENGINE = MergeTree ORDER BY id',
    );
    expect(cluster.ddl().join('\n')).not.toMatch(/ON CLUSTER|Distributed|Replicated/);
  });

  it('waits for a node that does not answer yet, polling, then applies', async () => {
    const cluster = fakeCluster({ downForPolls: { [SECOND]: 2 } });
    const response = await onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    expect(response.Data?.Applied).toBe('0001_events 0002_events_ttl');
    expect(cluster.sleeps).toEqual([POLL_MS, POLL_MS]);
    expect(cluster.logs.filter((m) => m === 'waiting for ClickHouse')).toHaveLength(2);
  });

  it('fails naming the node that never answered, before the time left runs under the budget', async () => {
    const cluster = fakeCluster({ downForPolls: { [SECOND]: Number.POSITIVE_INFINITY } });
    await expect(onMigrationsEvent(CREATE, MIGRATION_BUDGET_MS + 3 * POLL_MS, cluster.deps)).rejects.toThrow(
      `ClickHouse is not ready: ${SECOND}: connect ECONNREFUSED (${SECOND})`,
    );
    expect(cluster.sleeps).toEqual([POLL_MS, POLL_MS, POLL_MS]);
    expect(cluster.ddl()).toEqual([]);
    expect(cluster.closed).toHaveLength(3);
  });

  it('fails naming the migration when a statement fails, and records nothing after it', async () => {
    const cluster = fakeCluster({ failing: /MODIFY TTL/ });
    const failure = onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    await expect(failure).rejects.toThrow(MigrationError);
    await expect(failure).rejects.toThrow(
      /^migration 0002_events_ttl failed: Code: 62\. .*Syntax error\nALTER TABLE/,
    );
    expect(cluster.recorded.map((r) => r.name)).toEqual(['events']);
    expect(cluster.closed).toHaveLength(3);
  });

  it('fails with what the connector says when the credentials cannot be read', async () => {
    const cluster = fakeCluster();
    const deps = cluster.deps();
    const refusing = () => ({
      ...deps,
      connector: () => Promise.reject(new Error('secret arn:aws:secretsmanager:x holds no password string')),
    });
    await expect(onMigrationsEvent(CREATE, REMAINING_MS, refusing)).rejects.toThrow(
      'secret arn:aws:secretsmanager:x holds no password string',
    );
    expect(cluster.statements).toEqual([]);
  });

  it('runs every statement again ON CLUSTER when an Update adds nodes, then records only what is new', async () => {
    const cluster = fakeCluster();
    await onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    const created = cluster.ddl().length;
    const response = await onMigrationsEvent(
      update({ Nodes: 's1r1,s2r1,s3r1' }, { Nodes: 's1r1,s2r1' }),
      REMAINING_MS,
      cluster.deps,
    );
    expect(response).toEqual({
      PhysicalResourceId: PHYSICAL_ID,
      Data: { Applied: '', AlreadyApplied: '0001_events 0002_events_ttl' },
    });
    expect(cluster.ddl().slice(created)).toEqual([
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS events_local ON CLUSTER evalforge /),
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS events ON CLUSTER evalforge AS events_local /),
      'ALTER TABLE events_local ON CLUSTER evalforge MODIFY TTL now() + INTERVAL 1 DAY',
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER evalforge /),
    ]);
    expect(cluster.recorded).toHaveLength(2);
  });

  it('replays nothing when an Update keeps the nodes', async () => {
    const cluster = fakeCluster();
    await onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    const created = cluster.ddl().length;
    await onMigrationsEvent(update({}, {}), REMAINING_MS, cluster.deps);
    expect(cluster.ddl().slice(created)).toEqual([
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS schema_migrations /),
    ]);
  });

  it('rejects a move between a single node and a cluster before connecting', async () => {
    const cluster = fakeCluster();
    await expect(
      onMigrationsEvent(update({}, { Cluster: '', Nodes: 's1r1' }), REMAINING_MS, cluster.deps),
    ).rejects.toThrow(/^ClickHouse moved from a single node to evalforge: the tables differ/);
    expect(cluster.connections()).toBe(0);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no migrations', { Migrations: [] }, /^invalid migrations resource properties: Migrations: .*1/],
    [
      'a cluster name SQL cannot name',
      { Cluster: 'eval-forge' },
      /^invalid migrations resource properties: Cluster: /,
    ],
    [
      'a migration without a version',
      { Migrations: [{ Name: 'events', Sql: 'SELECT 1;' }] },
      /^invalid migrations resource properties: Migrations\.0\.Version: /,
    ],
  ])('rejects properties with %s before connecting', async (_name, properties, message) => {
    const cluster = fakeCluster();
    const event = { ...CREATE, ResourceProperties: { ...CREATE.ResourceProperties, ...properties } };
    await expect(onMigrationsEvent(event, REMAINING_MS, cluster.deps)).rejects.toThrow(message);
    expect(cluster.connections()).toBe(0);
  });

  it('leaves the schema alone on Delete, without reading its environment', async () => {
    const event: CloudFormationCustomResourceEvent = {
      ...CREATE,
      RequestType: 'Delete',
      PhysicalResourceId: PHYSICAL_ID,
    };
    const deps = () => {
      throw new Error('Delete must not need the environment');
    };
    await expect(onMigrationsEvent(event, REMAINING_MS, deps)).resolves.toEqual({
      PhysicalResourceId: PHYSICAL_ID,
    });
  });
});
