import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MigrationError } from '../../../clickhouse/migrate.js';
import { retentionStatements } from '../../../clickhouse/retention.js';
import {
  MIGRATION_BUDGET_MS,
  type MigrateDeps,
  onMigrationsEvent,
  PHYSICAL_ID,
  POLL_MS,
} from '../../../functions/migrate/core.js';

const FIXTURE = JSON.parse(
  readFileSync(new URL('../../fixtures/cloudformation/migrations-create.json', import.meta.url), 'utf8'),
) as CloudFormationCustomResourceEvent & { RequestType: 'Create' };

/** The `Retention` property as CloudFormation passes it: strings (tier 2's values). */
const RETENTION_PROPERTY = {
  HotDays: '2',
  WarmDays: '178',
  BodiesDays: '14',
  MinuteRollupDays: '35',
  HourRollupDays: '400',
  TtlMergeTimeoutSec: '3600',
};
const RETENTION = {
  hotDays: 2,
  warmDays: 178,
  bodiesDays: 14,
  minuteRollupDays: 35,
  hourRollupDays: 400,
  ttlMergeTimeoutSec: 3_600,
};
const CLUSTER = { kind: 'cluster', cluster: 'evalforge' } as const;

const CREATE = {
  ...FIXTURE,
  ResourceProperties: { ...FIXTURE.ResourceProperties, Retention: RETENTION_PROPERTY },
};

const URLS = [
  'http://s1r1.clickhouse.evalforge.internal:8123',
  'http://s2r1.clickhouse.evalforge.internal:8123',
];
const FIRST = URLS[0] as string;
const SECOND = URLS[1] as string;
const ZOOKEEPER = "SELECT count() FROM system.zookeeper WHERE path = '/'";
const T0 = Date.parse('2026-02-01T10:00:00Z');

function update(
  properties: Record<string, unknown>,
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

interface RetentionRecord {
  applied_at: number;
  checksum: string;
  retention: string;
}

/**
 * A cluster in memory, as far as the core, `migrate` and `applyRetention` use it: every statement
 * is kept with the node it was sent to, `schema_migrations` and `schema_retention` are shared
 * (they are replicated), a node can refuse the first pings, and a statement can fail.
 */
function fakeCluster(options: { downForPolls?: Record<string, number>; failing?: RegExp } = {}) {
  const statements: [string, string][] = [];
  const recorded: Recorded[] = [];
  const retentions: RetentionRecord[] = [];
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
      query: async ({ query }: { query: string }) => ({
        json: async () =>
          /FROM schema_retention/.test(query)
            ? // ORDER BY applied_at DESC LIMIT 1
              retentions.slice(-1).map(({ checksum }) => ({ checksum }))
            : recorded.map(({ applied_at: _, ...r }) => r),
      }),
      insert: async ({ table, values }: { table: string; values: unknown[] }) => {
        statements.push([url, `INSERT INTO ${table}`]);
        if (table === 'schema_retention') retentions.push(...(values as RetentionRecord[]));
        else recorded.push(...(values as Recorded[]));
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
  const isRetention = (s: string) => /schema_retention/.test(s) || retentionDdl.includes(s);
  return {
    deps: () => deps,
    statements,
    sentTo,
    /** The migrations' statements on the first node. */
    ddl: () => sentTo(FIRST).filter((s) => /^(CREATE|ALTER)/.test(s) && !isRetention(s)),
    /** The retention's ALTER statements on the first node. */
    retentionDdl: () => sentTo(FIRST).filter((s) => retentionDdl.includes(s)),
    recorded,
    retentions,
    closed,
    logs,
    sleeps,
    connections: () => connections,
  };
}

/** Time enough for the wait and the migrations: the wait may use all but the budget. */
const REMAINING_MS = MIGRATION_BUDGET_MS + 10 * POLL_MS;

/** What `applyRetention` runs for {@link RETENTION} on the fixture's cluster. */
const retentionDdl = retentionStatements(RETENTION, CLUSTER);

describe('onMigrationsEvent', () => {
  it('applies every migration on the first node, ON CLUSTER, once every node answers and reaches Keeper', async () => {
    const cluster = fakeCluster();
    const response = await onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    expect(response).toEqual({
      PhysicalResourceId: PHYSICAL_ID,
      Data: { Applied: '0001_events 0002_events_ttl', AlreadyApplied: '', RetentionApplied: 'true' },
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
      Data: { Applied: '', AlreadyApplied: '0001_events 0002_events_ttl', RetentionApplied: 'true' },
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

  it('applies the retention after the migrations, ON CLUSTER on the first node, and records it', async () => {
    const cluster = fakeCluster();
    await onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    const first = cluster.sentTo(FIRST);
    expect(cluster.retentionDdl()).toEqual(retentionDdl);
    expect(retentionDdl).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ALTER TABLE events_local ON CLUSTER evalforge MODIFY SETTING storage_policy = 'tiered'/,
        ),
        expect.stringMatching(/INTERVAL 2 DAY TO VOLUME 'cold', .*INTERVAL 180 DAY DELETE$/),
      ]),
    );
    // After the last migration is recorded: the tables exist when they are altered.
    expect(first.indexOf(retentionDdl[0] as string)).toBeGreaterThan(
      first.lastIndexOf('INSERT INTO schema_migrations'),
    );
    expect(cluster.sentTo(SECOND).filter((s) => retentionDdl.includes(s))).toEqual([]);
    expect(cluster.retentions).toHaveLength(1);
    expect(cluster.retentions[0]?.applied_at).toBe(T0);
    expect(JSON.parse(cluster.retentions[0]?.retention ?? '{}')).toEqual(RETENTION);
    expect(cluster.logs).toContain('retention applied');
  });

  it('leaves the retention alone when an Update carries the one last applied and keeps the nodes', async () => {
    const cluster = fakeCluster();
    await onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    const applied = cluster.retentionDdl().length;
    const response = await onMigrationsEvent(update({}, {}), REMAINING_MS, cluster.deps);
    expect(response.Data?.RetentionApplied).toBe('false');
    expect(cluster.retentionDdl()).toHaveLength(applied);
    expect(cluster.retentions).toHaveLength(1);
  });

  it('alters the tables to a new tier’s retention on Update, recreating nothing', async () => {
    const cluster = fakeCluster();
    await onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    const before = cluster.sentTo(FIRST).length;
    const tier3 = { ...RETENTION_PROPERTY, WarmDays: '88', BodiesDays: '7', TtlMergeTimeoutSec: '1800' };
    const response = await onMigrationsEvent(
      update({ Retention: tier3 }, { Retention: RETENTION_PROPERTY }),
      REMAINING_MS,
      cluster.deps,
    );
    expect(response.Data?.RetentionApplied).toBe('true');
    const sent = cluster.sentTo(FIRST).slice(before);
    expect(sent.filter((s) => /^CREATE TABLE IF NOT EXISTS events/.test(s))).toEqual([]);
    expect(sent.filter((s) => /DROP|RENAME/.test(s))).toEqual([]);
    expect(sent).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/INTERVAL 2 DAY TO VOLUME 'cold', .*INTERVAL 90 DAY DELETE$/),
        expect.stringMatching(/MODIFY COLUMN prompt TTL .*INTERVAL 7 DAY/),
        expect.stringMatching(/merge_with_ttl_timeout = 1800/),
      ]),
    );
    expect(cluster.retentions).toHaveLength(2);
  });

  it('applies the same retention again when an Update adds nodes: their tables have only the migrations’ TTLs', async () => {
    const cluster = fakeCluster();
    await onMigrationsEvent(CREATE, REMAINING_MS, cluster.deps);
    const response = await onMigrationsEvent(
      update({ Nodes: 's1r1,s2r1,s3r1' }, { Nodes: 's1r1,s2r1' }),
      REMAINING_MS,
      cluster.deps,
    );
    expect(response.Data?.RetentionApplied).toBe('true');
    expect(cluster.retentionDdl()).toEqual([...retentionDdl, ...retentionDdl]);
    expect(cluster.retentions).toHaveLength(2);
  });

  it('moves nothing to a cold volume when the retention has no hot days, and alters plain tables on a single node', async () => {
    const cluster = fakeCluster();
    const event = {
      ...CREATE,
      ResourceProperties: {
        ...CREATE.ResourceProperties,
        Cluster: '',
        Nodes: 's1r1',
        Retention: { ...RETENTION_PROPERTY, HotDays: '' },
      },
    };
    const response = await onMigrationsEvent(event, REMAINING_MS, cluster.deps);
    expect(response.Data?.RetentionApplied).toBe('true');
    const alters = cluster
      .sentTo(FIRST)
      .filter((s) => /^ALTER TABLE (events|events_minute|events_hour) /.test(s));
    expect(alters.length).toBeGreaterThan(0);
    expect(alters.join('\n')).not.toMatch(/storage_policy|TO VOLUME|ON CLUSTER/);
    expect(JSON.parse(cluster.retentions[0]?.retention ?? '{}')).toMatchObject({
      hotDays: null,
      warmDays: 178,
    });
  });

  it.each<[string, Record<string, unknown> | undefined, RegExp]>([
    ['no Retention', undefined, /^invalid migrations resource properties: Retention: /],
    [
      'days that are not a number',
      { ...RETENTION_PROPERTY, WarmDays: 'ninety' },
      /^invalid migrations resource properties: Retention\.WarmDays: /,
    ],
    [
      'a fractional TTL merge timeout',
      { ...RETENTION_PROPERTY, TtlMergeTimeoutSec: '90.5' },
      /^invalid migrations resource properties: Retention\.TtlMergeTimeoutSec: /,
    ],
    [
      'bodies kept past their rows',
      { ...RETENTION_PROPERTY, HotDays: '2', WarmDays: '5', BodiesDays: '8' },
      /^retention bodiesDays 8 must not exceed the rows' 7 days/,
    ],
  ])(
    'rejects a Retention property with %s before connecting, naming the field',
    async (_name, retention, message) => {
      const cluster = fakeCluster();
      const { Retention: _, ...rest } = CREATE.ResourceProperties;
      const event = { ...CREATE, ResourceProperties: retention ? { ...rest, Retention: retention } : rest };
      await expect(onMigrationsEvent(event, REMAINING_MS, cluster.deps)).rejects.toThrow(message);
      expect(cluster.connections()).toBe(0);
    },
  );

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
