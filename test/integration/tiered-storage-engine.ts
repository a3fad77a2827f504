/**
 * The embedded engine on a data directory with a storage configuration file, in a process of its
 * own (the engine binds one data directory and one configuration per process, and blocks the
 * process while a query runs, so the S3 API it writes to must live elsewhere). Run by
 * tiered-storage.test.ts: `<data dir> <config file> fill|reopen`; prints one JSON object.
 */
import { createRequire } from 'node:module';
import { STORAGE_NAMES } from '../../lib/constructs/clickhouse/storage-config.js';

interface ChdbSession {
  query(sql: string, format: string): string;
  close(): void;
}
type ChdbSessionConstructor = new (path: string, options: { connectionArgs: string[] }) => ChdbSession;

const require = createRequire(import.meta.url);
const { Session } = require('chdb') as { Session: ChdbSessionConstructor };

const [dataDir, configFile, phase] = process.argv.slice(2);
if (!dataDir || !configFile || (phase !== 'fill' && phase !== 'reopen')) {
  throw new Error('usage: tiered-storage-engine.ts <data dir> <config file> fill|reopen');
}
const session = new Session(dataDir, { connectionArgs: [`--config-file=${configFile}`] });
const json = <T>(sql: string): T[] =>
  session
    .query(sql, 'JSONEachRow')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

/** The ages, in days, of the rows the test inserts: hot, moved, moved without bodies, deleted. */
const AGES = [1, 40, 100, 400] as const;

/** What the test compares: answers that no TTL changes, and what each TTL acts on. */
function answers() {
  return {
    // Rows within the DELETE TTL: the same before and after a move.
    kept: json<{ age: number; rows: number; ids: string }>(
      `SELECT toUInt32(today() - d) AS age, count() AS rows, toString(sum(id)) AS ids
       FROM events WHERE d > today() - 365 GROUP BY age ORDER BY age`,
    ),
    // Rows and bytes of bodies by age: the column TTL empties the bodies older than 90 days,
    // the table TTL deletes the rows older than 365.
    byAge: json<{ age: number; rows: number; bodyBytes: string }>(
      `SELECT toUInt32(today() - d) AS age, count() AS rows,
         toString(sum(length(prompt) + length(response))) AS bodyBytes
       FROM events GROUP BY age ORDER BY age`,
    ),
    parts: json<{ age: number; disk: string }>(
      `SELECT DISTINCT toUInt32(today() - min_date) AS age, disk_name AS disk
       FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND active AND rows > 0
       ORDER BY age, disk`,
    ),
  };
}

const started = Date.now();
try {
  if (phase === 'fill') {
    const disks = json<{ name: string; type: string }>(
      `SELECT name, toString(type) AS type FROM system.disks
       WHERE name IN ('${STORAGE_NAMES.s3Disk}', '${STORAGE_NAMES.cacheDisk}') ORDER BY name`,
    );
    const policy = json<{ volume: string; disks: string[]; move_factor: number }>(
      `SELECT volume_name AS volume, disks, move_factor FROM system.storage_policies
       WHERE policy_name = '${STORAGE_NAMES.policy}' ORDER BY volume_priority`,
    );
    // Without TTLs first: every part lands on the hot volume, and the answers are read there.
    session.query(
      `CREATE TABLE events (d Date, id UInt64, prompt String, response String)
       ENGINE = MergeTree PARTITION BY toYYYYMM(d) ORDER BY (d, id)
       SETTINGS storage_policy = '${STORAGE_NAMES.policy}'`,
      'TSV',
    );
    for (const age of AGES) {
      session.query(
        `INSERT INTO events SELECT today() - ${age}, number, repeat('p', 100 + number % 7), repeat('r', 300)
         FROM numbers(${1000 + age})`,
        'TSV',
      );
    }
    const before = answers();
    // Each ALTER returns once its mutation (the TTLs' materialization) is done on every part.
    session.query('SET mutations_sync = 1', 'TSV');
    // The TTLs of the events table's shape: bodies by a column TTL, parts to the cold volume by
    // age, rows deleted at their age. Modifying them materializes them on the existing parts.
    session.query(
      `ALTER TABLE events
         MODIFY COLUMN prompt String TTL d + INTERVAL 90 DAY,
         MODIFY COLUMN response String TTL d + INTERVAL 90 DAY`,
      'TSV',
    );
    session.query(
      `ALTER TABLE events MODIFY TTL d + INTERVAL 30 DAY TO VOLUME '${STORAGE_NAMES.coldVolume}', d + INTERVAL 365 DAY DELETE`,
      'TSV',
    );
    let after = answers();
    // The mover runs in the background: wait for the parts older than 30 days to reach the cold disk.
    const deadline = Date.now() + 30_000;
    while (after.parts.some((part) => part.age > 30 && part.disk === 'default') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = answers();
    }
    console.log(JSON.stringify({ disks, policy, before, after, ms: Date.now() - started }));
  } else {
    console.log(JSON.stringify({ after: answers(), ms: Date.now() - started }));
  }
} finally {
  session.close();
}
