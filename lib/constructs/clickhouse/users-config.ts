/** The ClickHouse users the construct defines; each function connects as its own. */
export const CLICKHOUSE_USERS = {
  /** The loader: INSERT and SELECT on the database. */
  loader: 'evalforge_loader',
  /** The query API: SELECT only, read-only profile. */
  query: 'evalforge_query',
  /** Schema changes: the migrations custom resource, and operators over Session Manager. */
  admin: 'evalforge_admin',
} as const;

/**
 * `users.d/evalforge.xml`: the loader, the query API and the admin user, each from the client
 * networks only and with its password's SHA-256; `default` answers on localhost only.
 */
export function renderUsersConfig(options: {
  readonly database: string;
  readonly clientNetworks: readonly string[];
  readonly passwordSha256: { readonly loader: string; readonly query: string; readonly admin: string };
}): string {
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
  ) => [
    `        <${name}>`,
    `            <password_sha256_hex>${sha256}</password_sha256_hex>`,
    ...networks(extra),
    `            <profile>${profile}</profile>`,
    '            <quota>default</quota>',
    '            <grants>',
    ...grants.map((g) => `                <query>${g}</query>`),
    '            </grants>',
    `        </${name}>`,
  ];
  const db = options.database;
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
    `        </${CLICKHOUSE_USERS.query}>`,
    '    </profiles>',
    '    <users>',
    '        <default>',
    '            <networks replace="replace">',
    '                <ip>::1</ip>',
    '                <ip>127.0.0.1</ip>',
    '            </networks>',
    '        </default>',
    ...user(CLICKHOUSE_USERS.loader, options.passwordSha256.loader, CLICKHOUSE_USERS.loader, [
      `GRANT SELECT, INSERT ON ${db}.*`,
    ]),
    ...user(CLICKHOUSE_USERS.query, options.passwordSha256.query, CLICKHOUSE_USERS.query, [
      `GRANT SELECT ON ${db}.*`,
    ]),
    ...user(
      CLICKHOUSE_USERS.admin,
      options.passwordSha256.admin,
      'default',
      [`GRANT ALL ON ${db}.*`, 'GRANT CLUSTER ON *.*', 'GRANT SELECT ON system.*'],
      ['::1', '127.0.0.1'],
    ),
    '    </users>',
    '</clickhouse>',
    '',
  ].join('\n');
}
