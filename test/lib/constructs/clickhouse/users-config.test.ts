import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_USERS, renderUsersConfig } from '../../../../lib/constructs/clickhouse/users-config.js';

describe('renderUsersConfig', () => {
  const xml = renderUsersConfig({
    database: 'default',
    clientNetworks: ['10.0.0.0/16'],
    passwordSha256: { loader: 'aa11', query: 'bb22', admin: 'cc33' },
  });
  const user = (name: string) =>
    new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml.split('<users>')[1] ?? '')?.[1] ?? '';

  it('lets the loader insert and read, from the VPC, with its password hash', () => {
    expect(user('evalforge_loader')).toContain('<password_sha256_hex>aa11</password_sha256_hex>');
    expect(user('evalforge_loader')).toContain('<query>GRANT SELECT, INSERT ON default.*</query>');
    expect(user('evalforge_loader')).toContain('<ip>10.0.0.0/16</ip>');
  });

  it('lets the query API read only, in a read-only profile', () => {
    expect(user('evalforge_query')).toContain('<password_sha256_hex>bb22</password_sha256_hex>');
    expect(user('evalforge_query').match(/<query>/g)).toHaveLength(1);
    expect(user('evalforge_query')).toContain('<query>GRANT SELECT ON default.*</query>');
    expect(user('evalforge_query')).toContain('<profile>evalforge_query</profile>');
    expect(xml).toMatch(/<evalforge_query>\s*<profile>default<\/profile>\s*<readonly>2<\/readonly>/);
  });

  it('gives the admin user DDL on the database and ON CLUSTER, and keeps default on localhost', () => {
    expect(user('evalforge_admin')).toContain('<query>GRANT ALL ON default.*</query>');
    expect(user('evalforge_admin')).toContain('<query>GRANT CLUSTER ON *.*</query>');
    expect(user('default')).toMatch(
      /<networks replace="replace">\s*<ip>::1<\/ip>\s*<ip>127\.0\.0\.1<\/ip>\s*<\/networks>/,
    );
    expect(xml).not.toMatch(/<password>/);
  });

  it('defines the three users of CLICKHOUSE_USERS beside default, and no other', () => {
    const users = xml.split('<users>')[1]?.split('</users>')[0] ?? '';
    expect([...users.matchAll(/^ {8}<(\w+)>$/gm)].map((m) => m[1])).toEqual([
      'default',
      CLICKHOUSE_USERS.loader,
      CLICKHOUSE_USERS.query,
      CLICKHOUSE_USERS.admin,
    ]);
  });
});
