import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { MigrationError, type Topology } from './migrate.js';

/**
 * How long each table keeps what, applied to the tables the migrations create: the table TTLs of
 * `events` (parts move from the hot volume to the cold one by age, rows are deleted by age), the
 * column TTLs of its bodies, and the rollups' TTLs. Unlike a migration, which runs once, the
 * retention is applied again whenever it changes (a tier change, or day counts set for trying it
 * locally), so one set of tables serves every tier and moving up a tier keeps the data.
 *
 * | table           | TTL                                                                      |
 * |-----------------|--------------------------------------------------------------------------|
 * | `events`        | `hotDays` → `TO VOLUME 'cold'`; `hotDays + warmDays` → `DELETE`          |
 * | `events` bodies | `prompt`, `response`: emptied at `bodiesDays`                            |
 * | `events_minute` | `DELETE` at `minuteRollupDays`                                           |
 * | `events_hour`   | `DELETE` at `hourRollupDays`                                             |
 */
export interface TableRetention {
  /**
   * Days a row's part stays on the hot volume (the node's own disk) before it moves to the cold
   * volume (the S3 disk); `null` when the node has no cold volume (one disk): nothing moves.
   */
  readonly hotDays: number | null;
  /** Days after `hotDays` a row stays, on the cold volume; rows are deleted at `hotDays + warmDays`. */
  readonly warmDays: number;
  /** Days prompt and response stay (emptied after; the raw archive keeps them); ≤ `hotDays + warmDays`. */
  readonly bodiesDays: number;
  /** Days the per-minute rollup keeps a minute. */
  readonly minuteRollupDays: number;
  /** Days the per-hour rollup keeps an hour. */
  readonly hourRollupDays: number;
  /**
   * Seconds between two TTL merges of one `events` partition (`merge_with_ttl_timeout`), which
   * empty expired bodies: each rewrites at most a largest part (150 GiB), so at high rates it must
   * be shorter than ClickHouse's 4 hours to keep up with a day's rows (lib/capacity.ts checks it).
   */
  readonly ttlMergeTimeoutSec: number;
}

/** The names the storage configuration defines (lib/constructs/clickhouse/storage-config.ts). */
export const TIERED_STORAGE = {
  /** The policy `events` is set to when the node has a cold volume. */
  policy: 'tiered',
  /** The volume parts move to at `hotDays`. */
  coldVolume: 'cold',
} as const;

/** The most days any TTL may be: ten years, past any archive. */
export const MAX_RETENTION_DAYS = 3_650;

/** Rows kept in total: `hotDays + warmDays`. */
export function rowsDays(retention: Pick<TableRetention, 'hotDays' | 'warmDays'>): number {
  return (retention.hotDays ?? 0) + retention.warmDays;
}

/** Fails with a message naming the value on a retention no table can be given. */
export function validateRetention(retention: TableRetention): void {
  const days = (name: string, value: unknown, min: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_RETENTION_DAYS) {
      throw new MigrationError(
        `retention ${name} must be a whole number of days from ${min} to ${MAX_RETENTION_DAYS}, got ${String(value)}`,
      );
    }
  };
  if (retention.hotDays !== null) days('hotDays', retention.hotDays, 0);
  days('warmDays', retention.warmDays, retention.hotDays === null ? 1 : 0);
  days('bodiesDays', retention.bodiesDays, 0);
  days('minuteRollupDays', retention.minuteRollupDays, 1);
  days('hourRollupDays', retention.hourRollupDays, 1);
  const timeout = retention.ttlMergeTimeoutSec;
  if (!Number.isInteger(timeout) || timeout < 60 || timeout > 86_400) {
    throw new MigrationError(
      `retention ttlMergeTimeoutSec must be a whole number of seconds from 60 to 86400, got ${String(timeout)}`,
    );
  }
  const rows = rowsDays(retention);
  days('hotDays + warmDays', rows, 1);
  if (retention.bodiesDays > rows) {
    throw new MigrationError(
      `retention bodiesDays ${retention.bodiesDays} must not exceed the rows' ${rows} days (hotDays + warmDays): bodies go with their rows`,
    );
  }
}

const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new MigrationError(`"${name}" is not a cluster name`);
  return name;
};

/**
 * The `ALTER TABLE` statements that give the tables `retention`, for a topology. On a cluster
 * they alter each node's `x_local` table `ON CLUSTER`; Distributed tables hold no data.
 */
export function retentionStatements(retention: TableRetention, topology: Topology): string[] {
  validateRetention(retention);
  const cluster = topology.kind === 'cluster' ? ident(topology.cluster) : undefined;
  const table = (name: string) => (cluster ? `${name}_local ON CLUSTER ${cluster}` : name);
  const at = (column: string, days: number) => `${column} + INTERVAL ${days} DAY`;
  const eventTime = 'toDateTime(timestamp)';
  const settings = [
    // Not `ttl_only_drop_parts = 1`, though dropping whole expired parts would spare rewriting
    // parts on the S3 disk: with it the engine schedules no TTL merge but the drop of a part whose
    // rows have all expired, so the bodies' column TTLs would never be applied (measured on the
    // embedded engine: bodies past bodiesDays stayed). Set to 0 explicitly, for tables it was set on.
    'ttl_only_drop_parts = 0',
    // A changed TTL recomputes each part's TTL bounds (a small file per part) rather than
    // rewriting every part; the next TTL merge removes what has expired.
    'materialize_ttl_recalculate_only = 1',
    `merge_with_ttl_timeout = ${retention.ttlMergeTimeoutSec}`,
  ];
  if (retention.hotDays !== null) settings.unshift(`storage_policy = '${TIERED_STORAGE.policy}'`);
  const rowTtl =
    retention.hotDays === null
      ? `${at(eventTime, rowsDays(retention))} DELETE`
      : `${at(eventTime, retention.hotDays)} TO VOLUME '${TIERED_STORAGE.coldVolume}', ${at(eventTime, rowsDays(retention))} DELETE`;
  return [
    `ALTER TABLE ${table('events')} MODIFY SETTING ${settings.join(', ')}`,
    `ALTER TABLE ${table('events')} MODIFY COLUMN prompt TTL ${at(eventTime, retention.bodiesDays)}, MODIFY COLUMN response TTL ${at(eventTime, retention.bodiesDays)}`,
    `ALTER TABLE ${table('events')} MODIFY TTL ${rowTtl}`,
    `ALTER TABLE ${table('events_minute')} MODIFY TTL ${at('minute', retention.minuteRollupDays)} DELETE`,
    `ALTER TABLE ${table('events_hour')} MODIFY TTL ${at('hour', retention.hourRollupDays)} DELETE`,
  ];
}

function retentionTable(topology: Topology): string {
  return topology.kind === 'cluster'
    ? `CREATE TABLE IF NOT EXISTS schema_retention ON CLUSTER ${ident(topology.cluster)} (applied_at DateTime64(3, 'UTC'), checksum String, retention String) ENGINE = ReplicatedMergeTree('/clickhouse/evalforge/schema_retention', '{replica}') ORDER BY applied_at`
    : `CREATE TABLE IF NOT EXISTS schema_retention (applied_at DateTime64(3, 'UTC'), checksum String, retention String) ENGINE = MergeTree ORDER BY applied_at`;
}

export interface RetentionResult {
  /** Whether the statements ran: false when the same retention was the last applied. */
  readonly applied: boolean;
  /** The statements, run or not. */
  readonly statements: readonly string[];
}

/**
 * Gives the migrated tables `retention`, unless it is the last one applied (`schema_retention`
 * records each, with the statements' SHA-256). `force` runs them anyway: nodes added to a cluster
 * got their tables from the migrations, with the schema's first TTLs, and need the statements too.
 * Each statement is idempotent; a changed TTL is materialized on existing parts in the background.
 */
export async function applyRetention(
  client: ClickHouseClient,
  topology: Topology,
  retention: TableRetention,
  options: { readonly force?: boolean; readonly now?: () => number } = {},
): Promise<RetentionResult> {
  const { force = false, now = Date.now } = options;
  const statements = retentionStatements(retention, topology);
  const checksum = createHash('sha256').update(statements.join('\n')).digest('hex');
  await client.command({ query: retentionTable(topology) });
  const last = await client.query({
    query: 'SELECT checksum FROM schema_retention ORDER BY applied_at DESC LIMIT 1',
    format: 'JSONEachRow',
  });
  const [previous] = await last.json<{ checksum: string }>();
  if (!force && previous?.checksum === checksum) return { applied: false, statements };
  for (const statement of statements) {
    try {
      await client.command({ query: statement });
    } catch (error) {
      throw new MigrationError(`retention failed: ${(error as Error).message}\n${statement}`);
    }
  }
  await client.insert({
    table: 'schema_retention',
    values: [{ applied_at: now(), checksum, retention: JSON.stringify(retention) }],
    format: 'JSONEachRow',
  });
  return { applied: true, statements };
}
