/**
 * The embedded engine on a data directory with the rendered storage configuration, the real
 * migrations and `applyRetention`, in a process of its own: the engine binds one data directory
 * per process, and a restart is a new process. Run by tiered-storage.test.ts:
 * `<data dir> <config file> fill|reopen`; prints one JSON object.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../clickhouse/migrate.js';
import { applyRetention, type RetentionResult, type TableRetention } from '../../clickhouse/retention.js';
import { callCount, slowestCalls, traceSpans } from '../../functions/query/queries.js';
import { createClickHouseClient, selectRows } from '../../functions/shared/clickhouse/client.js';
import { STORAGE_NAMES } from '../../lib/constructs/clickhouse/storage-config.js';
import { eventGenerator } from '../../lib/workloads/event-generator.js';
import { insertIngestRows } from '../helpers/clickhouse.js';

const DAY_MS = 86_400_000;
const PROJECT = 'proj-tiered';

/** The ages, in days, of the rows inserted: hot, moved, moved without bodies, deleted. */
const AGES = [1, 40, 120, 400] as const;
/** Rows per age. */
const ROWS_PER_AGE = 30;

/** A retention under which nothing moves or expires: the answers are first read on the hot disk. */
const KEEP_ALL: TableRetention = {
  hotDays: 1_800,
  warmDays: 1_800,
  bodiesDays: 1_800,
  minuteRollupDays: 3_600,
  hourRollupDays: 3_600,
  ttlMergeTimeoutSec: 60,
};
/** The policy under test: cold after 30 days, bodies emptied at 90, rows deleted at 365. */
const RETENTION: TableRetention = {
  hotDays: 30,
  warmDays: 335,
  bodiesDays: 90,
  minuteRollupDays: 30,
  hourRollupDays: 365,
  ttlMergeTimeoutSec: 60,
};
/** The same with no hot days: every part goes cold. */
const SHORTER: TableRetention = { ...RETENTION, hotDays: 0, warmDays: 365 };

/** What one age's rows answer through the dashboard's queries on `events`. */
export interface AgeAnswer {
  readonly age: number;
  readonly calls: number;
  /** slowestCalls over the age's day, as JSON. */
  readonly slowest: string;
  /** traceSpans of one trace of the age: its spans without prompt and response, as JSON. */
  readonly trace: string;
  /** Bytes of prompt + response in that trace. */
  readonly bodyBytes: number;
}
export interface Answers {
  readonly byAge: AgeAnswer[];
  /** Active parts with rows: the age of their partition and their disk. */
  readonly parts: { age: number; disk: string }[];
}
export interface FillReport {
  readonly disks: { name: string; type: string }[];
  readonly policy: { volume: string; disks: string[] }[];
  readonly before: Answers;
  readonly after: Answers;
  readonly again: RetentionResult;
  readonly changed: RetentionResult;
  readonly afterChange: Answers;
  readonly createTableQuery: string;
  readonly ms: number;
}
export interface ReopenReport {
  readonly answers: Answers;
  readonly reapplied: RetentionResult;
  readonly ms: number;
}

const [dataDir, configFile, phase, nowText] = process.argv.slice(2);

/** The partition (`toYYYYMM` in UTC) of each age's rows, to name parts by age. */
function partitionOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

async function answers(client: ClickHouseClient, now: number, traces: Map<number, string>): Promise<Answers> {
  const byAge: AgeAnswer[] = [];
  for (const age of AGES) {
    const window = {
      projectId: PROJECT,
      from: new Date(now - (age + 1) * DAY_MS),
      to: new Date(now - (age - 1) * DAY_MS),
    };
    const count = await callCount(client, window);
    const slowest = await slowestCalls(client, { ...window, limit: 1_000 });
    const spans = await traceSpans(client, { projectId: PROJECT, traceId: traces.get(age) ?? '' });
    byAge.push({
      age,
      calls: count.calls,
      slowest: JSON.stringify(slowest),
      trace: JSON.stringify(spans.map(({ prompt: _p, response: _r, ...span }) => span)),
      bodyBytes: spans.reduce((sum, span) => sum + span.prompt.length + span.response.length, 0),
    });
  }
  const ageOf = new Map(AGES.map((age) => [partitionOf(now - age * DAY_MS), age]));
  const parts = await selectRows<{ partition: string; disk: string }>(
    client,
    `SELECT DISTINCT partition, disk_name AS disk FROM system.parts
     WHERE database = currentDatabase() AND table = 'events' AND active AND rows > 0 ORDER BY partition, disk`,
  );
  return {
    byAge,
    parts: parts
      .map((part) => ({ age: ageOf.get(part.partition) ?? -1, disk: part.disk }))
      .sort((a, b) => a.age - b.age || a.disk.localeCompare(b.disk)),
  };
}

/** Polls until `done` holds of the answers, or 20 s pass; the last answers either way. */
async function settled(read: () => Promise<Answers>, done: (a: Answers) => boolean): Promise<Answers> {
  // TTL merges and moves run in the background: a busy machine takes longer, never a different answer.
  const deadline = Date.now() + 60_000;
  let last = await read();
  while (!done(last) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await read();
  }
  return last;
}

async function main(): Promise<void> {
  if (!dataDir || !configFile || (phase !== 'fill' && phase !== 'reopen') || !nowText) {
    throw new Error('usage: tiered-storage-engine.ts <data dir> <config file> fill|reopen <now ms>');
  }
  const started = Date.now();
  // The fill's clock, so both processes name the same ages and traces.
  const now = Number(nowText);
  const generator = eventGenerator({ seed: 7 });
  const events = AGES.flatMap((age) =>
    Array.from({ length: ROWS_PER_AGE }, (_, i) => ({
      age,
      event: generator.next({ timestamp: new Date(now - age * DAY_MS - i * 60_000).toISOString() }),
    })),
  );
  const traces = new Map(AGES.map((age) => [age, events.find((e) => e.age === age)?.event.trace_id ?? '']));
  const client = await createClickHouseClient({ kind: 'embedded', path: dataDir, configFile });
  const single = { kind: 'single' } as const;
  try {
    const read = () => answers(client, now, traces);
    if (phase === 'fill') {
      await migrate(client, single);
      const disks = await selectRows<{ name: string; type: string }>(
        client,
        `SELECT name, toString(type) AS type FROM system.disks
         WHERE name IN ('${STORAGE_NAMES.s3Disk}', '${STORAGE_NAMES.cacheDisk}') ORDER BY name`,
      );
      const policy = await selectRows<{ volume: string; disks: string[] }>(
        client,
        `SELECT volume_name AS volume, disks FROM system.storage_policies
         WHERE policy_name = '${STORAGE_NAMES.policy}' ORDER BY volume_priority`,
      );
      await applyRetention(client, single, KEEP_ALL);
      await insertIngestRows(
        client,
        events.map(({ event }) => ({
          ...event,
          _project_id: PROJECT,
          _received_at: new Date(now).toISOString(),
          _request_id: 'request-1',
          _request_key: 'key-1',
        })),
      );
      const before = await read();
      await applyRetention(client, single, RETENTION);
      const after = await settled(
        read,
        (a) =>
          a.parts.every((part) => part.age > 30 === (part.disk === STORAGE_NAMES.cacheDisk)) &&
          !a.parts.some((part) => part.age === 400) &&
          a.byAge.every((age) => age.age < 90 || age.bodyBytes === 0),
      );
      const again = await applyRetention(client, single, RETENTION);
      const changed = await applyRetention(client, single, SHORTER);
      const afterChange = await settled(read, (a) =>
        a.parts.every((part) => part.disk === STORAGE_NAMES.cacheDisk),
      );
      const [table] = await selectRows<{ create_table_query: string }>(
        client,
        `SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'events'`,
      );
      const report: FillReport = {
        disks,
        policy,
        before,
        after,
        again,
        changed,
        afterChange,
        createTableQuery: table?.create_table_query ?? '',
        ms: Date.now() - started,
      };
      console.log(JSON.stringify(report));
    } else {
      const answersNow = await read();
      const reapplied = await applyRetention(client, single, SHORTER);
      const report: ReopenReport = { answers: answersNow, reapplied, ms: Date.now() - started };
      console.log(JSON.stringify(report));
    }
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).stack ?? String(error));
  process.exit(1);
});
