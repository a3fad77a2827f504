import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError } from '../../clickhouse/migrate.js';
import {
  applyRetention,
  MAX_RETENTION_DAYS,
  retentionStatements,
  rowsDays,
  type TableRetention,
  validateRetention,
} from '../../clickhouse/retention.js';
import { embeddedClickHouse, rows } from '../helpers/clickhouse.js';

/** One disk, as the embedded engine without a storage configuration: nothing moves. */
const ONE_DISK: TableRetention = {
  hotDays: null,
  warmDays: 400,
  bodiesDays: 30,
  minuteRollupDays: 35,
  hourRollupDays: 400,
  ttlMergeTimeoutSec: 14_400,
};
const TIERED: TableRetention = { ...ONE_DISK, hotDays: 5, warmDays: 395 };
const SINGLE = { kind: 'single' } as const;
const CLUSTER = { kind: 'cluster', cluster: 'evalforge' } as const;

describe('validateRetention', () => {
  it.each([
    ['a one-disk retention', ONE_DISK],
    ['a tiered retention', TIERED],
    ['no hot days (everything cold at once)', { ...TIERED, hotDays: 0 }],
    ['bodies kept as long as the rows', { ...TIERED, bodiesDays: 400 }],
    ['bodies not kept at all', { ...TIERED, bodiesDays: 0 }],
    ['the longest timeout', { ...TIERED, ttlMergeTimeoutSec: 86_400 }],
    ['the shortest timeout', { ...TIERED, ttlMergeTimeoutSec: 60 }],
    ['the most days', { ...TIERED, hotDays: 650, warmDays: 3_000, bodiesDays: MAX_RETENTION_DAYS }],
  ])('accepts %s', (_, retention) => {
    expect(() => validateRetention(retention)).not.toThrow();
  });

  it.each<[string, Partial<Record<keyof TableRetention, unknown>>, RegExp]>([
    [
      'negative hotDays',
      { hotDays: -1 },
      /retention hotDays must be a whole number of days from 0 to 3650, got -1/,
    ],
    ['fractional warmDays', { warmDays: 1.5 }, /retention warmDays .* got 1\.5/],
    ['NaN bodiesDays', { bodiesDays: Number.NaN }, /retention bodiesDays .* got NaN/],
    ['a string minuteRollupDays', { minuteRollupDays: '35' }, /retention minuteRollupDays .* got 35/],
    [
      'zero hourRollupDays',
      { hourRollupDays: 0 },
      /retention hourRollupDays must be a whole number of days from 1/,
    ],
    ['hotDays past ten years', { hotDays: 3_651 }, /retention hotDays .* got 3651/],
    [
      'rows past ten years in total',
      { hotDays: 3_000, warmDays: 700 },
      /retention hotDays \+ warmDays .* got 3700/,
    ],
    ['no rows kept', { hotDays: 0, warmDays: 0, bodiesDays: 0 }, /retention hotDays \+ warmDays .* from 1/],
    [
      'bodies kept past their rows',
      { bodiesDays: 401 },
      /retention bodiesDays 401 must not exceed the rows' 400 days/,
    ],
    [
      'a timeout under a minute',
      { ttlMergeTimeoutSec: 59 },
      /retention ttlMergeTimeoutSec .* from 60 to 86400, got 59/,
    ],
    ['a timeout over a day', { ttlMergeTimeoutSec: 86_401 }, /retention ttlMergeTimeoutSec .* got 86401/],
    ['a fractional timeout', { ttlMergeTimeoutSec: 60.5 }, /retention ttlMergeTimeoutSec .* got 60\.5/],
    ['a string timeout', { ttlMergeTimeoutSec: '600' }, /retention ttlMergeTimeoutSec .* got 600/],
  ])('rejects %s, naming the field', (_, change, message) => {
    const retention = { ...TIERED, ...change } as TableRetention;
    expect(() => validateRetention(retention)).toThrow(MigrationError);
    expect(() => validateRetention(retention)).toThrow(message);
  });

  it('rejects no warm days without a cold volume: the rows would be deleted at once', () => {
    expect(() => validateRetention({ ...ONE_DISK, warmDays: 0, bodiesDays: 0 })).toThrow(
      /retention warmDays must be a whole number of days from 1/,
    );
  });

  it('counts the rows kept as hotDays + warmDays, no hot days without a cold volume', () => {
    expect(rowsDays(TIERED)).toBe(400);
    expect(rowsDays(ONE_DISK)).toBe(400);
  });
});

describe('retentionStatements', () => {
  it('alters the tables themselves on one node, moving nothing without a cold volume', () => {
    expect(retentionStatements(ONE_DISK, SINGLE)).toEqual([
      'ALTER TABLE events MODIFY SETTING ttl_only_drop_parts = 0, materialize_ttl_recalculate_only = 1, merge_with_ttl_timeout = 14400',
      'ALTER TABLE events MODIFY COLUMN prompt TTL toDateTime(timestamp) + INTERVAL 30 DAY, MODIFY COLUMN response TTL toDateTime(timestamp) + INTERVAL 30 DAY',
      'ALTER TABLE events MODIFY TTL toDateTime(timestamp) + INTERVAL 400 DAY DELETE',
      'ALTER TABLE events_minute MODIFY TTL minute + INTERVAL 35 DAY DELETE',
      'ALTER TABLE events_hour MODIFY TTL hour + INTERVAL 400 DAY DELETE',
    ]);
  });

  it('alters every node’s local tables on a cluster, with the tiered policy and the move', () => {
    expect(retentionStatements(TIERED, CLUSTER)).toEqual([
      "ALTER TABLE events_local ON CLUSTER evalforge MODIFY SETTING storage_policy = 'tiered', ttl_only_drop_parts = 0, materialize_ttl_recalculate_only = 1, merge_with_ttl_timeout = 14400",
      'ALTER TABLE events_local ON CLUSTER evalforge MODIFY COLUMN prompt TTL toDateTime(timestamp) + INTERVAL 30 DAY, MODIFY COLUMN response TTL toDateTime(timestamp) + INTERVAL 30 DAY',
      "ALTER TABLE events_local ON CLUSTER evalforge MODIFY TTL toDateTime(timestamp) + INTERVAL 5 DAY TO VOLUME 'cold', toDateTime(timestamp) + INTERVAL 400 DAY DELETE",
      'ALTER TABLE events_minute_local ON CLUSTER evalforge MODIFY TTL minute + INTERVAL 35 DAY DELETE',
      'ALTER TABLE events_hour_local ON CLUSTER evalforge MODIFY TTL hour + INTERVAL 400 DAY DELETE',
    ]);
  });

  it('rejects a cluster name that is not an identifier', () => {
    expect(() => retentionStatements(TIERED, { kind: 'cluster', cluster: 'x; DROP TABLE events' })).toThrow(
      /"x; DROP TABLE events" is not a cluster name/,
    );
  });

  it('rejects an invalid retention before rendering anything', () => {
    expect(() => retentionStatements({ ...TIERED, bodiesDays: -1 }, SINGLE)).toThrow(/retention bodiesDays/);
  });
});

describe('applyRetention on the embedded engine (one disk)', () => {
  let engine: { client: ClickHouseClient; close(): Promise<void> };
  let client: ClickHouseClient;
  const recorded = () =>
    rows<{ applied_at: string; checksum: string; retention: string }>(
      client,
      'SELECT applied_at, checksum, retention FROM schema_retention ORDER BY applied_at',
    );
  const createQuery = async (table: string) => {
    const [row] = await rows<{ create_table_query: string }>(
      client,
      'SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = {t:String}',
      { t: table },
    );
    return row?.create_table_query ?? '';
  };

  beforeAll(async () => {
    engine = await embeddedClickHouse();
    client = engine.client;
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('applies a retention first, and records it with its statements’ checksum', async () => {
    const result = await applyRetention(client, SINGLE, ONE_DISK, { now: () => Date.UTC(2026, 0, 1) });
    expect(result).toEqual({ applied: true, statements: retentionStatements(ONE_DISK, SINGLE) });
    const [record, ...more] = await recorded();
    expect(more).toEqual([]);
    expect(record?.applied_at).toBe('2026-01-01 00:00:00.000');
    expect(record?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(record?.retention ?? '')).toEqual(ONE_DISK);
  });

  it('gives the tables the TTLs and settings', async () => {
    const events = await createQuery('events');
    expect(events).toContain('`prompt` String CODEC(ZSTD(6)) TTL toDateTime(timestamp) + toIntervalDay(30)');
    expect(events).toContain(
      '`response` String CODEC(ZSTD(6)) TTL toDateTime(timestamp) + toIntervalDay(30)',
    );
    expect(events).toContain('TTL toDateTime(timestamp) + toIntervalDay(400) SETTINGS');
    expect(events).toContain('ttl_only_drop_parts = 0');
    expect(events).toContain('materialize_ttl_recalculate_only = 1');
    expect(events).toContain('merge_with_ttl_timeout = 14400');
    expect(events).not.toContain('storage_policy');
    expect(await createQuery('events_minute')).toContain('TTL minute + toIntervalDay(35)');
    expect(await createQuery('events_hour')).toContain('TTL hour + toIntervalDay(400)');
  });

  it('does nothing when the same retention is applied again', async () => {
    const result = await applyRetention(client, SINGLE, ONE_DISK, { now: () => Date.UTC(2026, 0, 2) });
    expect(result).toEqual({ applied: false, statements: retentionStatements(ONE_DISK, SINGLE) });
    expect(await recorded()).toHaveLength(1);
  });

  it('runs the same retention again when forced, and records it again', async () => {
    const result = await applyRetention(client, SINGLE, ONE_DISK, {
      force: true,
      now: () => Date.UTC(2026, 0, 3),
    });
    expect(result.applied).toBe(true);
    const records = await recorded();
    expect(records.map((r) => r.applied_at)).toEqual(['2026-01-01 00:00:00.000', '2026-01-03 00:00:00.000']);
    expect(records[1]?.checksum).toBe(records[0]?.checksum);
  });

  it('applies a changed retention, and the tables carry the new TTLs', async () => {
    const shorter = { ...ONE_DISK, warmDays: 200, bodiesDays: 7, minuteRollupDays: 10, hourRollupDays: 100 };
    const result = await applyRetention(client, SINGLE, shorter, { now: () => Date.UTC(2026, 0, 4) });
    expect(result.applied).toBe(true);
    const records = await recorded();
    expect(records).toHaveLength(3);
    expect(records[2]?.checksum).not.toBe(records[1]?.checksum);
    const events = await createQuery('events');
    expect(events).toContain('`prompt` String CODEC(ZSTD(6)) TTL toDateTime(timestamp) + toIntervalDay(7)');
    expect(events).toContain('TTL toDateTime(timestamp) + toIntervalDay(200) SETTINGS');
    expect(await createQuery('events_minute')).toContain('TTL minute + toIntervalDay(10)');
    expect(await createQuery('events_hour')).toContain('TTL hour + toIntervalDay(100)');
    // Back to the first: applied again, since it is no longer the last one applied.
    expect((await applyRetention(client, SINGLE, ONE_DISK)).applied).toBe(true);
  });

  it('fails naming the statement when the engine refuses it, and records nothing', async () => {
    const before = await recorded();
    // No cold volume on this engine: the tiered policy does not exist.
    await expect(applyRetention(client, SINGLE, TIERED)).rejects.toThrow(
      /retention failed: .*tiered[\s\S]*\nALTER TABLE events MODIFY SETTING storage_policy = 'tiered'/,
    );
    expect(await recorded()).toEqual(before);
  });

  it('rejects an invalid retention before touching the engine', async () => {
    const before = await recorded();
    await expect(applyRetention(client, SINGLE, { ...ONE_DISK, hourRollupDays: 0.5 })).rejects.toThrow(
      /retention hourRollupDays .* got 0\.5/,
    );
    expect(await recorded()).toEqual(before);
  });
});
