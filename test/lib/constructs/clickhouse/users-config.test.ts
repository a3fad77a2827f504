import { describe, expect, it } from 'vitest';
import { QUERY_QUOTA, QUERY_SETTINGS } from '../../../../functions/query/limits.js';
import {
  CLICKHOUSE_USERS,
  LOADER_TABLES,
  renderUsersConfig,
} from '../../../../lib/constructs/clickhouse/users-config.js';

describe('renderUsersConfig', () => {
  const xml = renderUsersConfig({
    database: 'default',
    clientNetworks: ['10.0.0.0/16'],
    passwordSha256: { loader: 'aa11', query: 'bb22', admin: 'cc33', monitor: 'dd44' },
  });
  const section = (name: string, within: string) =>
    new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(within)?.[1] ?? '';
  const user = (name: string) => section(name, xml.split('<users>')[1] ?? '');
  const profile = section(CLICKHOUSE_USERS.query, section('profiles', xml));
  const grants = (name: string) => [...user(name).matchAll(/<query>(.*)<\/query>/g)].map((m) => m[1]);

  it('renders the same XML for the same input, every element closed in order', () => {
    const again = renderUsersConfig({
      database: 'default',
      clientNetworks: ['10.0.0.0/16'],
      passwordSha256: { loader: 'aa11', query: 'bb22', admin: 'cc33', monitor: 'dd44' },
    });
    expect(again).toBe(xml);
    const open: string[] = [];
    for (const [, closing, name, selfClosing] of xml.matchAll(/<(\/?)([a-z_0-9]+)[^>]*?(\/?)>/g)) {
      if (selfClosing) continue;
      if (closing) expect(open.pop()).toBe(name);
      else open.push(name as string);
    }
    expect(open).toEqual([]);
  });

  it('lets the loader insert where it loads and read only its bookkeeping, from the VPC', () => {
    expect(user('evalforge_loader')).toContain('<password_sha256_hex>aa11</password_sha256_hex>');
    expect(user('evalforge_loader')).toContain('<ip>10.0.0.0/16</ip>');
    expect(grants('evalforge_loader')).toEqual([
      ...[
        'events_ingest',
        'load_dead_letters',
        'events',
        'loaded_requests',
        'events_minute',
        'events_hour',
        'load_dead_letter_redrives',
      ].flatMap((t) => [`GRANT INSERT ON default.${t}`, `GRANT INSERT ON default.${t}_local`]),
      // Its de-duplication, and a redrive's letters and marks (the replay function connects as the loader).
      ...['loaded_requests', 'events', 'load_dead_letters', 'load_dead_letter_redrives'].flatMap((t) => [
        `GRANT SELECT ON default.${t}`,
        `GRANT SELECT ON default.${t}_local`,
      ]),
    ]);
    // No wildcard, no DDL, nothing on the rollups to read.
    expect(user('evalforge_loader')).not.toMatch(
      /\.\*|ALL|ALTER|CREATE|DROP|SELECT ON default\.events_(minute|hour)/,
    );
  });

  it("grants INSERT on every table the loader's statements and views write", () => {
    // The views (clickhouse/migrations/*.sql) write events, loaded_requests and the rollups.
    expect([...LOADER_TABLES.insert].sort()).toEqual(
      [
        'events',
        'events_hour',
        'events_ingest',
        'events_minute',
        'load_dead_letters',
        'loaded_requests',
        // A redrive's marks (clickhouse/migrations/0006_dead_letter_redrives.sql).
        'load_dead_letter_redrives',
      ].sort(),
    );
  });

  it('lets the query API read only, in a read-only profile', () => {
    expect(user('evalforge_query')).toContain('<password_sha256_hex>bb22</password_sha256_hex>');
    expect(user('evalforge_query').match(/<query>/g)).toHaveLength(1);
    expect(user('evalforge_query')).toContain('<query>GRANT SELECT ON default.*</query>');
    expect(user('evalforge_query')).toContain('<profile>evalforge_query</profile>');
    expect(xml).toMatch(/<evalforge_query>\s*<profile>default<\/profile>\s*<readonly>2<\/readonly>/);
  });

  it.each(Object.entries(QUERY_SETTINGS))(
    "sets the query profile's %s to the query API's own value",
    (name, value) => {
      expect(profile).toContain(`\n            <${name}>${value}</${name}>\n`);
    },
  );

  it.each(Object.entries(QUERY_SETTINGS).filter(([, v]) => typeof v === 'number'))(
    'keeps a client from raising %s, or lifting it with 0',
    (name, value) => {
      expect(section(name, section('constraints', profile))).toMatch(
        new RegExp(`^\\s*<min>1</min>\\s*<max>${value}</max>\\s*$`),
      );
    },
  );

  it.each(['timeout_overflow_mode', 'read_overflow_mode', 'result_overflow_mode'])(
    'keeps %s at throw: no answer is cut short silently',
    (name) => {
      expect(section(name, section('constraints', profile))).toMatch(/^\s*<readonly\/>\s*$/);
    },
  );

  it('gives the query user a quota of its own, with every bound of QUERY_QUOTA, and the others the default', () => {
    expect(user('evalforge_query')).toContain('<quota>evalforge_query</quota>');
    expect(user('evalforge_loader')).toContain('<quota>default</quota>');
    const interval = section('interval', section(CLICKHOUSE_USERS.query, section('quotas', xml)));
    expect(interval).toContain(`<duration>${QUERY_QUOTA.intervalSec}</duration>`);
    expect(interval).toContain(`<queries>${QUERY_QUOTA.queries}</queries>`);
    expect(interval).toContain(`<errors>${QUERY_QUOTA.errors}</errors>`);
    expect(interval).toContain(`<execution_time>${QUERY_QUOTA.executionTimeSec}</execution_time>`);
    expect(interval).toContain(`<read_rows>${QUERY_QUOTA.readRows}</read_rows>`);
  });

  it('takes other limits and another quota', () => {
    const custom = renderUsersConfig({
      database: 'evalforge',
      clientNetworks: ['10.0.0.0/16'],
      passwordSha256: { loader: 'aa11', query: 'bb22', admin: 'cc33', monitor: 'dd44' },
      queryLimits: { ...QUERY_SETTINGS, max_rows_to_read: 7 },
      queryQuota: { ...QUERY_QUOTA, queries: 3 },
    });
    expect(custom).toContain('<max_rows_to_read>7</max_rows_to_read>');
    expect(custom).toContain('<max>7</max>');
    expect(custom).toContain('<queries>3</queries>');
    expect(custom).toContain('<query>GRANT INSERT ON evalforge.events_ingest</query>');
  });

  it('gives the admin user DDL on the database and ON CLUSTER, and keeps default on localhost', () => {
    expect(user('evalforge_admin')).toContain('<query>GRANT ALL ON default.*</query>');
    expect(user('evalforge_admin')).toContain('<query>GRANT CLUSTER ON *.*</query>');
    expect(user('default')).toMatch(
      /<networks replace="replace">\s*<ip>::1<\/ip>\s*<ip>127\.0\.0\.1<\/ip>\s*<\/networks>/,
    );
    expect(xml).not.toMatch(/<password>/);
  });

  it('defines the four users of CLICKHOUSE_USERS beside default, and no other', () => {
    const users = xml.split('<users>')[1]?.split('</users>')[0] ?? '';
    expect([...users.matchAll(/^ {8}<(\w+)>$/gm)].map((m) => m[1])).toEqual([
      'default',
      CLICKHOUSE_USERS.loader,
      CLICKHOUSE_USERS.query,
      CLICKHOUSE_USERS.admin,
      CLICKHOUSE_USERS.monitor,
    ]);
  });

  it('gives the monitor user a read-only profile and SELECT on the system tables the health function reads, nothing of the data', () => {
    const xml = renderUsersConfig({
      database: 'evalforge',
      clientNetworks: ['10.0.0.0/16'],
      passwordSha256: { loader: 'aa11', query: 'bb22', admin: 'cc33', monitor: 'dd44' },
    });
    const monitor = /<users>[\s\S]*<evalforge_monitor>([\s\S]*?)<\/evalforge_monitor>/.exec(xml)?.[1] ?? '';
    expect(monitor).toContain('<password_sha256_hex>dd44</password_sha256_hex>');
    const grants = [...monitor.matchAll(/<query>([^<]+)<\/query>/g)].map((m) => m[1]);
    expect(grants).toEqual([
      'GRANT SELECT ON system.disks',
      'GRANT SELECT ON system.parts',
      'GRANT SELECT ON system.merges',
      'GRANT SELECT ON system.replication_queue',
      'GRANT SELECT ON system.events',
      'GRANT SHOW TABLES ON evalforge.*',
    ]);
    const profile =
      /<profiles>[\s\S]*?<evalforge_monitor>([\s\S]*?)<\/evalforge_monitor>/.exec(xml)?.[1] ?? '';
    expect(profile).toContain('<readonly>1</readonly>');
  });
});
