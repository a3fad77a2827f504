import {
  QUERY_QUOTA,
  QUERY_SETTINGS,
  type QueryLimitSettings,
  type QueryQuota,
} from '../../../functions/query/limits.js';

/** The ClickHouse users the construct defines; each function connects as its own. */
export const CLICKHOUSE_USERS = {
  /** The loader: INSERT on what it loads, SELECT on its bookkeeping only. */
  loader: 'evalforge_loader',
  /** The query API: SELECT only, read-only profile with per-query limits and a quota. */
  query: 'evalforge_query',
  /** Schema changes: the migrations custom resource, and operators over Session Manager. */
  admin: 'evalforge_admin',
  /** The health function: reads the system tables it publishes from, and nothing else. */
  monitor: 'evalforge_monitor',
} as const;

/**
 * The system tables the health function (functions/health/core.ts) reads. `system.parts` lists
 * only the parts of tables the user may see, hence its `SHOW TABLES` on the database.
 */
export const MONITOR_SYSTEM_TABLES = ['disks', 'parts', 'merges', 'replication_queue', 'events'] as const;

/**
 * The loader's grants, table by table: it inserts into `events_ingest` and `load_dead_letters`;
 * the materialized views fed by `events_ingest` write `events`, `loaded_requests` and the rollups
 * (on servers that run a view as the inserting user, that user needs INSERT on each view's
 * target); its de-duplication reads `loaded_requests` and `events`. The replay function connects
 * as the loader too: a redrive reads `load_dead_letters` and `load_dead_letter_redrives` and marks
 * each letter it redrove in the latter. On a cluster each is also a
 * `_local` table under a Distributed one of the same name: both are granted, so the grants hold
 * whichever the statement or a shard's forwarded insert names.
 */
export const LOADER_TABLES = {
  insert: [
    'events_ingest',
    'load_dead_letters',
    'events',
    'loaded_requests',
    'events_minute',
    'events_hour',
    'load_dead_letter_redrives',
  ],
  select: ['loaded_requests', 'events', 'load_dead_letters', 'load_dead_letter_redrives'],
} as const;

/**
 * `users.d/evalforge.xml`: the loader, the query API, the admin and the monitor user, each from the client
 * networks only and with its password's SHA-256; `default` answers on localhost only. The query
 * user's profile holds the query API's per-query limits (functions/query/limits.ts) as its
 * defaults and, as constraints, as the most a client may set; its quota bounds all its queries
 * together.
 */
export function renderUsersConfig(options: {
  readonly database: string;
  readonly clientNetworks: readonly string[];
  readonly passwordSha256: {
    readonly loader: string;
    readonly query: string;
    readonly admin: string;
    readonly monitor: string;
  };
  /** @default - QUERY_SETTINGS, what the query API sends with every query */
  readonly queryLimits?: QueryLimitSettings;
  /** @default - QUERY_QUOTA */
  readonly queryQuota?: QueryQuota;
}): string {
  const limits = options.queryLimits ?? QUERY_SETTINGS;
  const quota = options.queryQuota ?? QUERY_QUOTA;
  const networks = (extra: readonly string[] = []) => [
    '            <networks>',
    ...[...options.clientNetworks, ...extra].map((ip) => `                <ip>${ip}</ip>`),
    '            </networks>',
  ];
  const user = (
    name: string,
    sha256: string,
    profile: string,
    grants: readonly string[],
    extra?: string[],
    quotaName = 'default',
  ) => [
    `        <${name}>`,
    `            <password_sha256_hex>${sha256}</password_sha256_hex>`,
    ...networks(extra),
    `            <profile>${profile}</profile>`,
    `            <quota>${quotaName}</quota>`,
    '            <grants>',
    ...grants.map((g) => `                <query>${g}</query>`),
    '            </grants>',
    `        </${name}>`,
  ];
  const db = options.database;
  const bothForms = (tables: readonly string[]) => tables.flatMap((t) => [`${db}.${t}`, `${db}.${t}_local`]);
  const numeric = Object.entries(limits).filter(([, v]) => typeof v === 'number');
  const modes = Object.entries(limits).filter(([, v]) => typeof v !== 'number');
  return [
    '<clickhouse>',
    '    <profiles>',
    `        <${CLICKHOUSE_USERS.loader}>`,
    '            <profile>default</profile>',
    // A Distributed insert returns once every shard holds its rows, so the loader never
    // acknowledges a batch that is only queued on the node it reached.
    '            <distributed_foreground_insert>1</distributed_foreground_insert>',
    `        </${CLICKHOUSE_USERS.loader}>`,
    `        <${CLICKHOUSE_USERS.query}>`,
    '            <profile>default</profile>',
    // Reads only; 2 (not 1) still lets a query set output settings, as the query API does.
    '            <readonly>2</readonly>',
    ...Object.entries(limits).map(([name, value]) => `            <${name}>${value}</${name}>`),
    // readonly=2 lets a client set any setting: these keep it from raising a limit, or lifting
    // one with 0 (no limit to the engine). It may lower them. The overflow modes stay 'throw', so
    // no answer is cut short silently. A value equal to the profile's is not checked: the query
    // API sends the very same ones.
    '            <constraints>',
    ...numeric.flatMap(([name, value]) => [
      `                <${name}>`,
      '                    <min>1</min>',
      `                    <max>${value}</max>`,
      `                </${name}>`,
    ]),
    ...modes.flatMap(([name]) => [
      `                <${name}>`,
      '                    <readonly/>',
      `                </${name}>`,
    ]),
    '            </constraints>',
    `        </${CLICKHOUSE_USERS.query}>`,
    `        <${CLICKHOUSE_USERS.monitor}>`,
    '            <profile>default</profile>',
    // Reads only, and settings only as the profile has them; each reading is a few small queries.
    '            <readonly>1</readonly>',
    '            <max_execution_time>10</max_execution_time>',
    `        </${CLICKHOUSE_USERS.monitor}>`,
    '    </profiles>',
    '    <quotas>',
    `        <${CLICKHOUSE_USERS.query}>`,
    '            <interval>',
    `                <duration>${quota.intervalSec}</duration>`,
    `                <queries>${quota.queries}</queries>`,
    `                <errors>${quota.errors}</errors>`,
    `                <execution_time>${quota.executionTimeSec}</execution_time>`,
    `                <read_rows>${quota.readRows}</read_rows>`,
    '            </interval>',
    `        </${CLICKHOUSE_USERS.query}>`,
    '    </quotas>',
    '    <users>',
    '        <default>',
    '            <networks replace="replace">',
    '                <ip>::1</ip>',
    '                <ip>127.0.0.1</ip>',
    '            </networks>',
    '        </default>',
    ...user(CLICKHOUSE_USERS.loader, options.passwordSha256.loader, CLICKHOUSE_USERS.loader, [
      ...bothForms(LOADER_TABLES.insert).map((table) => `GRANT INSERT ON ${table}`),
      ...bothForms(LOADER_TABLES.select).map((table) => `GRANT SELECT ON ${table}`),
    ]),
    ...user(
      CLICKHOUSE_USERS.query,
      options.passwordSha256.query,
      CLICKHOUSE_USERS.query,
      [`GRANT SELECT ON ${db}.*`],
      [],
      CLICKHOUSE_USERS.query,
    ),
    ...user(
      CLICKHOUSE_USERS.admin,
      options.passwordSha256.admin,
      'default',
      [`GRANT ALL ON ${db}.*`, 'GRANT CLUSTER ON *.*', 'GRANT SELECT ON system.*'],
      ['::1', '127.0.0.1'],
    ),
    ...user(CLICKHOUSE_USERS.monitor, options.passwordSha256.monitor, CLICKHOUSE_USERS.monitor, [
      ...MONITOR_SYSTEM_TABLES.map((table) => `GRANT SELECT ON system.${table}`),
      `GRANT SHOW TABLES ON ${db}.*`,
    ]),
    '    </users>',
    '</clickhouse>',
    '',
  ].join('\n');
}
