import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Migration,
  MigrationError,
  migrate,
  migrationsHash,
  readMigrations,
  renderMigration,
} from '../../clickhouse/migrate.js';
import { createClickHouseClient } from '../../functions/shared/clickhouse/client.js';
import { rows } from '../helpers/clickhouse.js';

const CLUSTER = { kind: 'cluster', cluster: 'evalforge' } as const;
let migrations: Migration[];

beforeAll(() => {
  migrations = readMigrations();
});

describe('on a fresh embedded engine', () => {
  let dir: string;
  let client: ClickHouseClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalforge-migrate-'));
    client = await createClickHouseClient({ kind: 'embedded', path: join(dir, 'db') });
  });
  afterAll(async () => {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies every migration once, in order, and records each', async () => {
    const first = await migrate(client, { kind: 'single' });
    expect(first).toEqual({
      applied: [
        '0001_events',
        '0002_events_minute',
        '0003_load_bookkeeping',
        '0004_events_hour',
        '0005_dead_letter_events',
        '0006_dead_letter_redrives',
      ],
      alreadyApplied: [],
    });
    const tables = await rows<{ name: string; engine: string }>(
      client,
      "SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name NOT LIKE '.inner%' ORDER BY name",
    );
    expect(tables).toEqual([
      { name: 'events', engine: 'MergeTree' },
      { name: 'events_hour', engine: 'AggregatingMergeTree' },
      { name: 'events_hour_mv', engine: 'MaterializedView' },
      { name: 'events_ingest', engine: 'Null' },
      { name: 'events_ingest_mv', engine: 'MaterializedView' },
      { name: 'events_minute', engine: 'AggregatingMergeTree' },
      { name: 'events_minute_mv', engine: 'MaterializedView' },
      { name: 'load_dead_letter_redrives', engine: 'ReplacingMergeTree' },
      { name: 'load_dead_letters', engine: 'MergeTree' },
      { name: 'loaded_requests', engine: 'ReplacingMergeTree' },
      { name: 'loaded_requests_mv', engine: 'MaterializedView' },
      { name: 'schema_migrations', engine: 'MergeTree' },
    ]);
    expect(await rows(client, 'SELECT version, name FROM schema_migrations ORDER BY version')).toEqual([
      { version: 1, name: 'events' },
      { version: 2, name: 'events_minute' },
      { version: 3, name: 'load_bookkeeping' },
      { version: 4, name: 'events_hour' },
      { version: 5, name: 'dead_letter_events' },
      { version: 6, name: 'dead_letter_redrives' },
    ]);
    const letterColumns = await rows<{ name: string }>(
      client,
      "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'load_dead_letters' ORDER BY position",
    );
    expect(letterColumns.map((c) => c.name)).toEqual([
      'failed_at',
      'project_id',
      'source',
      'request_id',
      'reason',
      'engine_code',
      'line',
      'data_base64',
    ]);
  });

  it('is idempotent: a second run applies nothing and records nothing twice', async () => {
    const second = await migrate(client, { kind: 'single' });
    expect(second).toEqual({
      applied: [],
      alreadyApplied: [
        '0001_events',
        '0002_events_minute',
        '0003_load_bookkeeping',
        '0004_events_hour',
        '0005_dead_letter_events',
        '0006_dead_letter_redrives',
      ],
    });
    expect(await rows(client, 'SELECT count() AS n FROM schema_migrations')).toEqual([{ n: 6 }]);
  });

  it('applies a new migration after the applied ones', async () => {
    const next: Migration = {
      version: 7,
      name: 'probe',
      sql: 'CREATE TABLE IF NOT EXISTS {{table probe}} (x UInt8) ENGINE = {{engine MergeTree}} ORDER BY x;',
    };
    const now = Date.parse('2026-02-01T10:00:00.250Z');
    expect(
      await migrate(client, { kind: 'single' }, [...migrations, next], { now: () => now }),
    ).toMatchObject({
      applied: ['0007_probe'],
    });
    expect(
      await rows(
        client,
        'SELECT toUnixTimestamp64Milli(applied_at) AS at FROM schema_migrations WHERE version = 7',
      ),
    ).toEqual([{ at: now }]);
  });

  it('fails when an applied migration has been edited', async () => {
    const edited = migrations.map((m) => (m.version === 2 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    await expect(migrate(client, { kind: 'single' }, edited)).rejects.toThrow(
      /migration 0002_events_minute was applied with different content/,
    );
  });

  it('fails naming the migration and the statement when a statement fails', async () => {
    const broken: Migration = { version: 8, name: 'broken', sql: 'CREATE TABLE nonsense (;' };
    await expect(
      migrate(client, { kind: 'single' }, [
        ...migrations,
        {
          version: 7,
          name: 'probe',
          sql: 'CREATE TABLE IF NOT EXISTS {{table probe}} (x UInt8) ENGINE = {{engine MergeTree}} ORDER BY x;',
        },
        broken,
      ]),
    ).rejects.toThrow(/migration 0008_broken failed: .*\nCREATE TABLE nonsense \(/s);
  });
});

describe('rendering for a cluster', () => {
  const statements = () => migrations.flatMap((m) => renderMigration(m.sql, CLUSTER));

  it('creates and alters every table on the whole cluster', () => {
    for (const s of statements())
      expect(s).toMatch(
        /^(CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS|ALTER TABLE) \w+ ON CLUSTER evalforge\b/,
      );
  });

  it('alters a Distributed table beside its local table, with {{cluster_only}}', () => {
    const alters = statements().filter((s) => s.startsWith('ALTER TABLE'));
    expect(alters.map((s) => /^ALTER TABLE (\w+)/.exec(s)?.[1])).toEqual([
      'load_dead_letters_local',
      'load_dead_letters',
    ]);
    const sql =
      'ALTER TABLE {{table t}} {{on_cluster}} ADD COLUMN x UInt8;\n{{cluster_only}} ALTER TABLE t {{on_cluster}} ADD COLUMN x UInt8;';
    expect(renderMigration(sql, { kind: 'single' })).toEqual(['ALTER TABLE t  ADD COLUMN x UInt8']);
    expect(renderMigration(sql, CLUSTER)).toEqual([
      'ALTER TABLE t_local ON CLUSTER evalforge ADD COLUMN x UInt8',
      'ALTER TABLE t ON CLUSTER evalforge ADD COLUMN x UInt8',
    ]);
  });

  it('replicates every MergeTree table through Keeper, by shard and replica', () => {
    const engines = statements().flatMap((s) =>
      [...s.matchAll(/ENGINE = (\w+)(\([^)]*\))?/g)].map((m) => m[0]),
    );
    const storing = engines.filter((e) => /MergeTree/.test(e));
    expect(storing.length).toBe(6);
    for (const e of storing)
      expect(e).toMatch(
        /^ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\w+_local', '\{replica\}'\)$/,
      );
  });

  it('puts a Distributed table, sharded by project, over each local table that is queried or inserted', () => {
    const distributed = statements().filter((s) => s.includes('ENGINE = Distributed'));
    expect(distributed.map((s) => /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(s)?.[1])).toEqual([
      'events',
      'events_ingest',
      'events_minute',
      'loaded_requests',
      'load_dead_letters',
      'events_hour',
      'load_dead_letter_redrives',
    ]);
    expect(distributed[0]).toContain(
      'Distributed(evalforge, currentDatabase(), events_local, cityHash64(project_id))',
    );
    expect(distributed[1]).toContain('events_ingest_local, cityHash64(_project_id))');
  });

  it('feeds views from and into the local tables, so each shard aggregates its own rows', () => {
    const views = statements().filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    expect(views).toHaveLength(4);
    for (const v of views) {
      expect(v).toMatch(/ TO \w+_local AS/);
      expect(v).toMatch(/FROM \w+_local\b/);
    }
  });

  it('renders a single node without any of it', () => {
    const single = migrations.flatMap((m) => renderMigration(m.sql, { kind: 'single' })).join('\n');
    expect(single).not.toMatch(/_local|ON CLUSTER|Replicated|Distributed|\{\{/);
  });
});

describe('migration files', () => {
  it.each([
    [
      'rejects an unknown directive',
      'CREATE TABLE {{table t}} {{shard_by x}} (x UInt8) ENGINE = Null;',
      /unknown directive \{\{shard_by x\}\}/,
    ],
    [
      'rejects a table name that is not an identifier',
      'CREATE TABLE {{table T-1}} (x UInt8) ENGINE = Null;',
      /unknown directive/,
    ],
    [
      'rejects an engine directive outside a table statement',
      'SELECT {{engine MergeTree}};',
      /needs a \{\{table …\}\}/,
    ],
  ])('%s', (_name, sql, message) => {
    expect(() => renderMigration(sql, CLUSTER)).toThrow(MigrationError);
    expect(() => renderMigration(sql, CLUSTER)).toThrow(message);
  });

  it('reads the files in order, numbered from 1', () => {
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, 'events'],
      [2, 'events_minute'],
      [3, 'load_bookkeeping'],
      [4, 'events_hour'],
      [5, 'dead_letter_events'],
      [6, 'dead_letter_redrives'],
    ]);
  });

  it.each([
    [
      'a gap in the numbering',
      ['0001_a.sql', '0003_c.sql'],
      /^migration 0003_c is out of sequence: expected 2$/,
    ],
    [
      'a file named otherwise',
      ['0001_a.sql', '2_b.sql'],
      /^migration file 2_b\.sql must be named NNNN_name\.sql$/,
    ],
  ])('rejects %s', async (_name, files, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'evalforge-migrations-'));
    try {
      for (const file of files) await writeFile(join(dir, file), 'SELECT 1;');
      expect(() => readMigrations(dir)).toThrow(MigrationError);
      expect(() => readMigrations(dir)).toThrow(message);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('migrationsHash', () => {
  const base: Migration[] = [
    { version: 1, name: 'a', sql: 'SELECT 1;' },
    { version: 2, name: 'b', sql: 'SELECT 2;' },
  ];

  it('is the SHA-256 of each version, name and text, NUL-separated', () => {
    const text = ['1', 'a', 'SELECT 1;', '2', 'b', 'SELECT 2;', ''].join('\0');
    const expected = createHash('sha256').update(text).digest('hex');
    expect(migrationsHash(base)).toBe(expected);
  });

  it.each<[string, Migration[]]>([
    ['an edited file', [base[0] as Migration, { version: 2, name: 'b', sql: 'SELECT 3;' }]],
    ['a renamed file', [base[0] as Migration, { version: 2, name: 'c', sql: 'SELECT 2;' }]],
    ['a new file', [...base, { version: 3, name: 'c', sql: '' }]],
    // Without separators, these two would hash alike.
    ['text moved between name and SQL', [base[0] as Migration, { version: 2, name: 'bS', sql: 'ELECT 2;' }]],
  ])('changes with %s', (_name, changed) => {
    expect(migrationsHash(changed)).not.toBe(migrationsHash(base));
  });
});
