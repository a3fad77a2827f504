import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { selectRows } from '../shared/clickhouse/client.js';
import { PROJECT_ID_PATTERN } from '../shared/contract/event.js';
import {
  encodeHeaderLine,
  STREAM_RECORD_FORMAT,
  type StreamRecordHeader,
} from '../shared/contract/stream-record.js';
import { DEAD_LETTER_ID_SQL } from '../shared/dead-letter-id.js';
import {
  type LoadBatch,
  type LoaderStore,
  type LoadSummary,
  loadBatch,
  type ShardedStore,
  type SourceRecord,
} from '../shared/load/core.js';

/**
 * Redrive: dead letters sent back through the loader once what refused them is fixed (a
 * migration, a code change), each exactly once.
 *
 * The letters not redriven yet (no row in `load_dead_letter_redrives`, whatever its outcome) are
 * read page by page, oldest first, and each becomes a stream record again: a record letter is its
 * record's bytes; an event letter is a header line and its event's line. Each letter is one
 * `loadBatch` of its own, with `verifyEvents` and the source `redrive:<letter id>`, and a page's
 * marks are written once its letters are loaded:
 * - loaded: some of its events went in;
 * - duplicate: all of them were stored already;
 * - refused: the engine refused it (or part of it) again, and the loader wrote a new letter for
 *   what it refused, with the source `redrive:<letter id>:0`. The old letter is superseded: it is
 *   never redriven again, the new one is (by a later redrive, after another fix).
 *
 * Exactly once, when a redrive stops between the loads and the marks and runs again:
 * - events: `verifyEvents` looks every event up before loading it, so those loaded the first time
 *   are skipped (the letter is then marked duplicate); and a load cut short and retried with the
 *   same letter sends the same lines under the same source, so the same insert tokens, and
 *   ClickHouse drops a block it already has (the rollups' views with it).
 * - new dead letters: a letter whose new letter is already in `load_dead_letters` (its source
 *   names it) is marked refused without being loaded again; and the loader's dead-letter insert
 *   carries a token derived from the batch's source and its letters, so a retry of the same
 *   insert is dropped as a repeat.
 * - marks: the insert token is derived from the marks, and `load_dead_letter_redrives` is a
 *   ReplacingMergeTree by letter id, sharded by project: a mark written twice is kept once.
 * Two redrives must not run at the same time: both could find an event missing and load it.
 */

export interface RedriveOptions {
  /** Only this project's letters (exact); unset, every project's, the unreadable records' ('') too. */
  readonly project?: string;
  /** Only letters whose reason contains this text, case-insensitively. */
  readonly reason?: string;
}

export interface RedriveSummary {
  /** Letters redriven. */
  readonly letters: number;
  /** Of those, letters some of whose events were loaded. */
  readonly loaded: number;
  /** Letters all of whose events were stored already. */
  readonly duplicates: number;
  /** Letters refused again, each superseded by a new letter. */
  readonly refusedAgain: number;
  /** Events inserted. */
  readonly events: number;
}

export class RedriveOptionsError extends Error {
  override readonly name = 'RedriveOptionsError';
}

/** Letters read and loaded at once: a letter holds at most one stream record (1 MiB). */
export const REDRIVE_PAGE_LETTERS = 100;

/** What a mark says of a redriven letter. */
export type RedriveOutcome = 'loaded' | 'duplicate' | 'refused';

/** The source a letter's redrive loads under, and that the new letters it writes carry. */
export const redriveSource = (letterId: string): string => `redrive:${letterId}`;

/** A letter as the redrive reads it. */
interface LetterRow {
  readonly letter_id: string;
  readonly failed_at_ms: number;
  readonly project_id: string;
  readonly request_id: string;
  readonly line: string;
  readonly data_base64: string;
}

/**
 * The stream record a letter came in, as far as the letter keeps it: a record letter's own bytes;
 * for an event letter, a record of that one event under a header rebuilt from the letter.
 */
function letterRecord(letter: LetterRow): SourceRecord {
  if (letter.data_base64 !== '' || letter.line === '')
    return { data: Buffer.from(letter.data_base64, 'base64'), sequenceNumber: '0' };
  const header: StreamRecordHeader = {
    format: STREAM_RECORD_FORMAT,
    project_id: letter.project_id,
    key_id: 'redrive',
    // The letter does not keep when its request arrived: when it failed is the nearest it has.
    received_at: new Date(letter.failed_at_ms).toISOString(),
    request_id: letter.request_id === '' ? redriveSource(letter.letter_id) : letter.request_id,
    // A request of its own: the same for every redrive of this letter, and no client's.
    request_key: createHash('sha256').update(redriveSource(letter.letter_id)).digest('hex'),
    part: 0,
    events: 1,
  };
  // Handed over inflated, as a replay's records are: no gzip only for the loader to undo it.
  return {
    data: Buffer.from(`${encodeHeaderLine(header)}${letter.line}\n`),
    sequenceNumber: '0',
    inflated: true,
  };
}

function outcomeOf(summary: LoadSummary): RedriveOutcome {
  if (summary.deadLetters > 0) return 'refused';
  return summary.events > 0 ? 'loaded' : 'duplicate';
}

/** ClickHouse's basic DateTime64 text form. */
const engineTime = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

/**
 * Redrives the letters `options` selects that were not redriven before, and marks each. Throws
 * `RedriveOptionsError` for a project that is not a project id; throws what the engine throws
 * when it cannot take the loads or the marks (the letters loaded by then are found stored by the
 * next run).
 */
export async function redriveDeadLetters(
  client: ClickHouseClient,
  store: LoaderStore | ShardedStore,
  options: RedriveOptions,
  deps: { now: () => number; onProgress?: (s: RedriveSummary) => void },
): Promise<RedriveSummary> {
  if (options.project !== undefined && !PROJECT_ID_PATTERN.test(options.project)) {
    throw new RedriveOptionsError(
      `project ${JSON.stringify(options.project)} is not a project id (${PROJECT_ID_PATTERN.source})`,
    );
  }
  // Letters written from here on (by this run's refusals) wait for the next run.
  const startedAt = deps.now();
  const summary = { letters: 0, loaded: 0, duplicates: 0, refusedAgain: 0, events: 0 };
  let after: { failedAtMs: number; letterId: string } | undefined;
  for (;;) {
    const page = await readPage(client, options, startedAt, after);
    if (page.length === 0) break;
    const last = page[page.length - 1] as LetterRow;
    after = { failedAtMs: last.failed_at_ms, letterId: last.letter_id };

    const superseded = await supersededLetters(client, page);
    const marks: Mark[] = [];
    for (const letter of page) {
      let outcome: RedriveOutcome = 'refused';
      let events = 0;
      if (!superseded.has(letter.letter_id)) {
        const batch: LoadBatch = {
          source: redriveSource(letter.letter_id),
          records: [letterRecord(letter)],
        };
        const loaded = await loadBatch(batch, { store, now: deps.now }, { verifyEvents: true });
        outcome = outcomeOf(loaded);
        events = loaded.events;
      }
      marks.push({
        letter_id: letter.letter_id,
        project_id: letter.project_id,
        redriven_at: engineTime(deps.now()),
        outcome,
        events,
      });
      summary.letters++;
      summary.events += events;
      if (outcome === 'loaded') summary.loaded++;
      else if (outcome === 'duplicate') summary.duplicates++;
      else summary.refusedAgain++;
    }
    await writeMarks(client, marks);
    deps.onProgress?.({ ...summary });
    if (page.length < REDRIVE_PAGE_LETTERS) break;
  }
  return summary;
}

/**
 * The next page of letters to redrive, oldest first, after `after`: letters of the selection that
 * failed before the run started and have no mark. The same letter stored twice is one letter.
 */
async function readPage(
  client: ClickHouseClient,
  options: RedriveOptions,
  startedAt: number,
  after: { failedAtMs: number; letterId: string } | undefined,
): Promise<LetterRow[]> {
  const project = options.project === undefined ? '' : ' WHERE project_id = {project:String}';
  const where = [
    "failed_at < fromUnixTimestamp64Milli({started:Int64}, 'UTC')",
    `letter_id GLOBAL NOT IN (SELECT letter_id FROM load_dead_letter_redrives${project})`,
  ];
  if (options.project !== undefined) where.push('project_id = {project:String}');
  if (options.reason !== undefined && options.reason !== '')
    where.push('positionCaseInsensitiveUTF8(reason, {reason:String}) > 0');
  if (after) where.push('(failed_at_ms, letter_id) > ({after_ms:Int64}, {after_id:String})');
  return selectRows<LetterRow>(
    client,
    `SELECT ${DEAD_LETTER_ID_SQL} AS letter_id, toUnixTimestamp64Milli(failed_at) AS failed_at_ms,
            project_id, request_id, line, data_base64
     FROM load_dead_letters
     WHERE ${where.join('\n       AND ')}
     ORDER BY failed_at_ms, letter_id
     LIMIT 1 BY letter_id
     LIMIT {page:UInt32}`,
    {
      started: startedAt,
      page: REDRIVE_PAGE_LETTERS,
      ...(options.project !== undefined ? { project: options.project } : {}),
      ...(options.reason ? { reason: options.reason } : {}),
      ...(after ? { after_ms: after.failedAtMs, after_id: after.letterId } : {}),
    },
  );
}

/**
 * The letters of a page a redrive has already refused again (one that stopped before its marks):
 * their new letters are in `load_dead_letters`, under the source `redrive:<letter id>:0`.
 */
async function supersededLetters(client: ClickHouseClient, page: readonly LetterRow[]): Promise<Set<string>> {
  const rows = await selectRows<{ source: string }>(
    client,
    `SELECT DISTINCT source FROM load_dead_letters
     WHERE failed_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND source IN {sources:Array(String)}`,
    {
      from: Math.min(...page.map((l) => l.failed_at_ms)),
      sources: page.map((l) => `${redriveSource(l.letter_id)}:0`),
    },
  );
  return new Set(rows.map((r) => r.source.slice('redrive:'.length, -':0'.length)));
}

interface Mark {
  readonly letter_id: string;
  readonly project_id: string;
  readonly redriven_at: string;
  readonly outcome: RedriveOutcome;
  readonly events: number;
}

/**
 * One insert of a page's marks. Its token, in the statement (the embedded engine would keep a
 * setting sent beside it for later inserts), is derived from the letters and their outcomes: the
 * same marks written again are dropped as a repeat.
 */
async function writeMarks(client: ClickHouseClient, marks: readonly Mark[]): Promise<void> {
  if (marks.length === 0) return;
  const hash = createHash('sha256');
  for (const m of marks) hash.update(`${m.letter_id}:${m.outcome}\n`);
  const result = await client.exec({
    query: `INSERT INTO load_dead_letter_redrives SETTINGS insert_deduplication_token = 'redrive:${hash.digest('hex')}' FORMAT JSONEachRow`,
    values: Readable.from([marks.map((m) => JSON.stringify(m)).join('\n')]),
  });
  for await (const _ of result.stream) {
  }
}
