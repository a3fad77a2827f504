import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseError } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitExceeded, QUERY_SETTINGS, settingsClause } from '../../../functions/query/limits.js';
import { CLICKHOUSE_USERS, renderUsersConfig } from '../../../lib/constructs/clickhouse/users-config.js';

/**
 * The rendered `users.d/evalforge.xml` loaded by the real engine as a server loads it: an overlay
 * on a `users.xml`, here one whose `default` user (the only user the embedded engine runs queries
 * as) takes the query user's profile and quota. So the engine shows what the cluster's query user
 * may and may not do. The engine starts only if it reads every user, grant, profile and quota of
 * the overlay; it cannot run a query as the loader, so the loader's grants are checked as text
 * (test/lib/constructs/clickhouse/users-config.test.ts). Nor does it count queries against a quota
 * (7,000 queries in a row pass a quota of 6,000): the quota's answer is tested with the engine's
 * error text (over-limit.test.ts).
 */

type Session = { query(sql: string, format?: string): string; close(): void };

let dir: string;
let session: Session;

/** The base users.xml: what the overlay merges onto, `default` wearing the query user's limits. */
const BASE_USERS = `<clickhouse>
    <profiles><default></default></profiles>
    <users>
        <default>
            <no_password/>
            <networks><ip>::/0</ip></networks>
            <profile>${CLICKHOUSE_USERS.query}</profile>
            <quota>${CLICKHOUSE_USERS.query}</quota>
        </default>
    </users>
    <quotas><default></default></quotas>
</clickhouse>
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-users-'));
  await mkdir(join(dir, 'users.d'));
  await writeFile(join(dir, 'users.xml'), BASE_USERS);
  await writeFile(
    join(dir, 'users.d', 'evalforge.xml'),
    renderUsersConfig({
      database: 'default',
      clientNetworks: ['10.0.0.0/16'],
      passwordSha256: {
        loader: 'a'.repeat(64),
        query: 'b'.repeat(64),
        admin: 'c'.repeat(64),
        monitor: 'd'.repeat(64),
      },
    }),
  );
  await writeFile(
    join(dir, 'config.xml'),
    `<clickhouse><users_config>${join(dir, 'users.xml')}</users_config></clickhouse>\n`,
  );
  const { Session } = await import('chdb');
  session = new Session(join(dir, 'db'), {
    connectionArgs: [`--config-file=${join(dir, 'config.xml')}`],
  }) as Session;
});

afterAll(async () => {
  session?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (sql: string) => session.query(sql, 'CSV').trim();

/** The engine's error for a statement, as `@clickhouse/client` would read it. */
function failure(sql: string) {
  try {
    run(sql);
  } catch (error) {
    return parseError(error instanceof Error ? error.message : String(error));
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('the query user, as the engine reads users.d', () => {
  it('runs in the query profile: read-only, with the limits as its defaults', () => {
    expect(
      run("SELECT getSetting('readonly'), getSetting('max_rows_to_read'), getSetting('max_execution_time')"),
    ).toBe(`2,${QUERY_SETTINGS.max_rows_to_read},${QUERY_SETTINGS.max_execution_time}`);
    expect(failure('CREATE TABLE t (x UInt8) ENGINE = Memory').message).toContain('readonly');
  });

  it("takes the query API's own SETTINGS clause, and a lower limit", () => {
    expect(run(`SELECT 1 ${settingsClause(QUERY_SETTINGS)}`)).toBe('1');
    expect(run('SELECT 1 SETTINGS max_rows_to_read = 5, max_execution_time = 2')).toBe('1');
    expect(
      limitExceeded(failure('SELECT count() FROM numbers(10) SETTINGS max_rows_to_read = 5'), QUERY_SETTINGS)
        ?.limit,
    ).toBe('max_rows_to_read');
  });

  it.each([
    ['raising a limit', `SELECT 1 SETTINGS max_rows_to_read = ${QUERY_SETTINGS.max_rows_to_read + 1}`],
    ['lifting a limit with 0', 'SELECT 1 SETTINGS max_result_bytes = 0'],
    ['a longer time, for the session', `SET max_execution_time = ${QUERY_SETTINGS.max_execution_time + 1}`],
    ['cutting answers short instead of failing', "SELECT 1 SETTINGS result_overflow_mode = 'break'"],
  ])('fails a client %s', (_, sql) => {
    expect(failure(sql)).toMatchObject({ code: '452', type: 'SETTING_CONSTRAINT_VIOLATION' });
  });
});
