import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Versioned migrations for one ClickHouse node (the embedded engine of `npm start` and the tests)
 * or a cluster (every tier: tiers 1–2 are one shard of one replica, with Keeper). The SQL files
 * are written once, with a few directives that render per topology:
 *
 * | directive                  | single node        | cluster                                               |
 * |----------------------------|--------------------|-------------------------------------------------------|
 * | `{{table x}}`              | `x`                | `x_local`                                             |
 * | `{{on_cluster}}`           | nothing            | `ON CLUSTER <name>`                                   |
 * | `{{engine E}}`             | `E`                | `ReplicatedE('/clickhouse/tables/{shard}/{database}/x_local', '{replica}')` |
 * | `{{dedup_window}}`         | `non_replicated_deduplication_window = 10000` | `replicated_deduplication_window = 10000` |
 * | `{{distributed x key}}`    | no statement       | `CREATE TABLE x … ENGINE = Distributed(<name>, currentDatabase(), x_local, key)` |
 * | `{{cluster_only}} …`       | no statement       | the statement (altering a Distributed table `x`, say)  |
 *
 * Queries and inserts always name `x`: the table itself on one node, the Distributed table over
 * the shards' `x_local` on a cluster.
 */
export type Topology = { readonly kind: 'single' } | { readonly kind: 'cluster'; readonly cluster: string };

/** One migration file: `0002_events_minute.sql` is version 2, name `events_minute`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** A migration that cannot be read, rendered or applied; the message names the file. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** `0001_events`: a migration as its file names it. */
export function migrationId(m: Pick<Migration, 'version' | 'name'>): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}`;
}

/** clickhouse/migrations: the SQL files, `NNNN_name.sql`, numbered from 0001 without gaps. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Deduplication keeps the last 10,000 insert tokens per table: hours of loader batches. */
const DEDUP_WINDOW = 10_000;

/**
 * The migration files of `dir`, in order. Synchronous, so the CDK app reads them at synth time
 * (the migrations custom resource carries them) with the very checks `npm run migrate` makes.
 */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const migrations = files.map((file) => {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new MigrationError(`migration file ${file} must be named NNNN_name.sql`);
    }
    return { version: Number(match[1]), name: match[2], sql: readFileSync(join(dir, file), 'utf8') };
  });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(`migration ${migrationId(m)} is out of sequence: expected ${i + 1}`);
    }
  });
  return migrations;
}

/** Splits a migration into statements: `;` ends a statement at the end of a line; `--` comments go. */
function statements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new MigrationError(`"${name}" is not a table name`);
  return name;
};

/** Renders one migration's statements for a topology. */
export function renderMigration(sql: string, topology: Topology): string[] {
  const cluster = topology.kind === 'cluster' ? ident(topology.cluster) : undefined;
  const local = (name: string) => (cluster ? `${ident(name)}_local` : ident(name));
  return statements(sql).flatMap((statement) => {
    const distributed = /^\{\{distributed (\w+) (.+)\}\}$/s.exec(statement);
    if (distributed?.[1] && distributed[2]) {
      if (!cluster) return [];
      const name = ident(distributed[1]);
      return [
        `CREATE TABLE IF NOT EXISTS ${name} ON CLUSTER ${cluster} AS ${local(name)} ENGINE = Distributed(${cluster}, currentDatabase(), ${local(name)}, ${distributed[2]})`,
      ];
    }
    const clusterOnly = /^\{\{cluster_only\}\}\s*/.exec(statement);
    if (clusterOnly && !cluster) return [];
    const body = clusterOnly ? statement.slice(clusterOnly[0].length) : statement;
    const owner = /\{\{table (\w+)\}\}/.exec(body)?.[1];
    const rendered = body
      .replace(/\{\{table (\w+)\}\}/g, (_, name: string) => local(name))
      .replace(/\{\{on_cluster\}\}/g, cluster ? `ON CLUSTER ${cluster}` : '')
      .replace(/\{\{dedup_window\}\}/g, () =>
        cluster
          ? `replicated_deduplication_window = ${DEDUP_WINDOW}`
          : `non_replicated_deduplication_window = ${DEDUP_WINDOW}`,
      )
      .replace(/\{\{engine (\w+)\}\}/g, (_, engine: string) => {
        if (!cluster) return engine;
        if (!owner)
          throw new MigrationError(`{{engine ${engine}}} needs a {{table …}} in the same statement`);
        return `Replicated${engine}('/clickhouse/tables/{shard}/{database}/${local(owner)}', '{replica}')`;
      });
    const leftover = /\{\{[^}]*\}\}/.exec(rendered);
    if (leftover) throw new MigrationError(`unknown directive ${leftover[0]}`);
    return [rendered];
  });
}

/** One migration's SHA-256, recorded in `schema_migrations`: an applied file must never change. */
export function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

/**
 * One SHA-256 over every migration's version, name and content: the migrations custom resource
 * carries it, so a new or changed file re-runs the resource.
 */
export function migrationsHash(migrations: readonly Migration[]): string {
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(`${m.version}\0${m.name}\0${m.sql}\0`);
  return hash.digest('hex');
}

function migrationsTable(topology: Topology): string {
  return topology.kind === 'cluster'
    ? `CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER ${ident(topology.cluster)} (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC')) ENGINE = ReplicatedMergeTree('/clickhouse/evalforge/schema_migrations', '{replica}') ORDER BY version`
    : `CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY version`;
}

export interface MigrateResult {
  readonly applied: string[];
  readonly alreadyApplied: string[];
}

/**
 * Applies the migrations not yet recorded, in order, each recorded once all its statements ran.
 * Statements are idempotent (`IF NOT EXISTS`), so a migration interrupted half-way runs again
 * whole. A recorded migration whose file has since changed is an error, not a silent skip.
 * `migrations` defaults to the files of clickhouse/migrations; `options.now` stamps `applied_at`.
 */
export async function migrate(
  client: ClickHouseClient,
  topology: Topology,
  migrations?: readonly Migration[],
  options: { readonly now?: () => number } = {},
): Promise<MigrateResult> {
  const { now = Date.now } = options;
  const all = migrations ?? readMigrations();
  await client.command({ query: migrationsTable(topology) });
  const result = await client.query({
    query: 'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    format: 'JSONEachRow',
  });
  const recorded = new Map(
    (await result.json<{ version: number; name: string; checksum: string }>()).map((r) => [
      Number(r.version),
      r,
    ]),
  );
  const applied: string[] = [];
  const alreadyApplied: string[] = [];
  for (const migration of all) {
    const id = migrationId(migration);
    const sum = checksum(migration.sql);
    const previous = recorded.get(migration.version);
    if (previous) {
      if (previous.checksum !== sum) {
        throw new MigrationError(
          `migration ${id} was applied with different content (checksum ${previous.checksum.slice(0, 12)}, file ${sum.slice(0, 12)}); add a new migration instead of editing an applied one`,
        );
      }
      alreadyApplied.push(id);
      continue;
    }
    for (const statement of renderMigration(migration.sql, topology)) {
      try {
        await client.command({ query: statement });
      } catch (error) {
        throw new MigrationError(`migration ${id} failed: ${(error as Error).message}\n${statement}`);
      }
    }
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: migration.version, name: migration.name, checksum: sum, applied_at: now() }],
      format: 'JSONEachRow',
    });
    applied.push(id);
  }
  return { applied, alreadyApplied };
}
