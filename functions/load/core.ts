import { createHash } from 'node:crypto';
import { z } from 'zod';
import { checkEvent, PROJECT_ID_PATTERN } from '../shared/event.js';
import {
  decodeStreamRecord,
  STREAM_RECORD_FORMAT,
  type StreamRecordHeader,
} from '../shared/stream-record.js';

/**
 * The loader: Kinesis records in, one ClickHouse insert out.
 *
 * Exactly once, in two layers:
 * - A batch delivered again (a Lambda retry, a replay) carries the same insert_deduplication_token,
 *   derived from its records' shard and sequence numbers: ClickHouse drops the repeated block from
 *   the raw table and from every view fed by it.
 * - A request the client sent again because it got no answer arrives in other records, but with
 *   the same request key (its Idempotency-Key, hashed with the project). Each record is loaded
 *   under `<request key>#<part>`; a view records the keys in the same insert as the events, and the
 *   loader skips records whose key is already there. The validator routes a request and its resend
 *   to the same shard, so they are loaded in order, never concurrently.
 *
 * A record that can never load (not gzip, not our format, a line that breaks the contract) is
 * written to the dead-letter table with its reason; it never blocks the shard.
 */

export interface SourceRecord {
  readonly data: Buffer;
  readonly sequenceNumber: string;
}

export interface LoadBatch {
  /** Where the records come from: stream ARN and shard id, or an archive object's key. */
  readonly source: string;
  readonly records: readonly SourceRecord[];
}

export interface DeadLetter {
  readonly failed_at: string;
  readonly source: string;
  readonly reason: string;
  readonly data_base64: string;
}

/** What the loader needs of ClickHouse. */
export interface LoaderStore {
  /** Which of these `<request key>#<part>` keys have been loaded before. */
  loadedRequestKeys(keys: readonly string[]): Promise<Set<string>>;
  /** One insert of NDJSON rows for `events_ingest`; throws when ClickHouse did not take it. */
  insertEvents(ndjson: string, deduplicationToken: string): Promise<void>;
  insertDeadLetters(letters: readonly DeadLetter[], deduplicationToken: string): Promise<void>;
}

export interface LoadSummary {
  readonly records: number;
  readonly events: number;
  /** Records skipped because their request was loaded before (a client's resend). */
  readonly duplicateRecords: number;
  readonly deadLetters: number;
  readonly bytes: number;
}

const Header = z.object({
  format: z.literal(STREAM_RECORD_FORMAT),
  project_id: z.string().regex(PROJECT_ID_PATTERN),
  key_id: z.string(),
  received_at: z.iso.datetime(),
  request_id: z.string().min(1),
  request_key: z.string().regex(/^[0-9a-f]{64}$/),
  part: z.number().int().min(0),
  events: z.number().int().min(0),
});

export interface GoodRecord {
  readonly source: SourceRecord;
  readonly header: StreamRecordHeader;
  readonly lines: string[];
  readonly loadKey: string;
}

function deadLetter(batch: LoadBatch, record: SourceRecord, reason: string, now: number): DeadLetter {
  return {
    // ClickHouse's basic DateTime64 text form: "2026-01-31 12:00:00.000".
    failed_at: new Date(now).toISOString().slice(0, 23).replace('T', ' '),
    source: `${batch.source}:${record.sequenceNumber}`,
    reason,
    data_base64: record.data.toString('base64'),
  };
}

/** Splits a batch into records that can load and dead letters, each with its reason. */
export function decodeBatch(batch: LoadBatch, now: number): { good: GoodRecord[]; dead: DeadLetter[] } {
  const good: GoodRecord[] = [];
  const dead: DeadLetter[] = [];
  for (const record of batch.records) {
    let decoded: ReturnType<typeof decodeStreamRecord>;
    try {
      decoded = decodeStreamRecord(record.data);
    } catch (error) {
      dead.push(deadLetter(batch, record, (error as Error).message, now));
      continue;
    }
    const header = Header.safeParse(decoded.header);
    if (!header.success) {
      const problems = header.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      dead.push(deadLetter(batch, record, `stream record header is invalid: ${problems}`, now));
      continue;
    }
    if (header.data.events !== decoded.lines.length) {
      dead.push(
        deadLetter(
          batch,
          record,
          `header announces ${header.data.events} events, record holds ${decoded.lines.length}`,
          now,
        ),
      );
      continue;
    }
    const h = header.data as StreamRecordHeader;
    good.push({ source: record, header: h, lines: decoded.lines, loadKey: `${h.request_key}#${h.part}` });
  }
  return { good, dead };
}

/** The insert token for a batch: the same records give the same token, whoever loads them. */
export function deduplicationToken(batch: LoadBatch): string {
  const hash = createHash('sha256').update(batch.source);
  for (const record of batch.records) hash.update('\n').update(record.sequenceNumber);
  return hash.digest('hex');
}

/** An event line with the record header's fields put in front, as `events_ingest` takes it. */
function ingestLine(line: string, prefix: string): string {
  const start = line.indexOf('{');
  return `${prefix}${line.slice(start + 1)}`;
}

function prefixFor(record: GoodRecord): string {
  const { header } = record;
  return `{"_project_id":${JSON.stringify(header.project_id)},"_received_at":${JSON.stringify(header.received_at)},"_request_id":${JSON.stringify(header.request_id)},"_request_key":${JSON.stringify(record.loadKey)},`;
}

/** The NDJSON for `events_ingest` of some decoded records: what one insert sends. */
export function ingestBody(records: readonly GoodRecord[]): { text: string; events: number } {
  const lines: string[] = [];
  for (const record of records) {
    const prefix = prefixFor(record);
    for (const line of record.lines) lines.push(ingestLine(line, prefix));
  }
  return { text: lines.join('\n'), events: lines.length };
}

/**
 * Only after ClickHouse refused an insert: checks every line against the contract, so that lines
 * that break it go to the dead letters and the rest can load. Returns `undefined` when every line
 * is valid, that is when the refusal was not about the data.
 */
function separateInvalidLines(
  batch: LoadBatch,
  records: readonly GoodRecord[],
  now: number,
): { records: GoodRecord[]; dead: DeadLetter[] } | undefined {
  const kept: GoodRecord[] = [];
  const dead: DeadLetter[] = [];
  for (const record of records) {
    const problems: string[] = [];
    record.lines.forEach((line, i) => {
      let check: ReturnType<typeof checkEvent>;
      try {
        check = checkEvent(JSON.parse(line), record.header.project_id);
      } catch (error) {
        problems.push(`line ${i + 1}: not JSON: ${(error as Error).message}`);
        return;
      }
      if (!check.ok) problems.push(`line ${i + 1}: ${check.reason}`);
    });
    if (problems.length === 0) kept.push(record);
    else
      dead.push(
        deadLetter(
          batch,
          record.source,
          `record breaks the event contract: ${problems.slice(0, 5).join('; ')}`,
          now,
        ),
      );
  }
  return dead.length === 0 ? undefined : { records: kept, dead };
}

/** Loads one batch: decode, skip what was loaded before, one insert, dead letters for the rest. */
export async function loadBatch(
  batch: LoadBatch,
  deps: { store: LoaderStore; now: () => number },
): Promise<LoadSummary> {
  const now = deps.now();
  const token = deduplicationToken(batch);
  const { good, dead } = decodeBatch(batch, now);

  const loaded =
    good.length > 0
      ? await deps.store.loadedRequestKeys([...new Set(good.map((r) => r.loadKey))])
      : new Set();
  const seen = new Set<string>();
  let fresh = good.filter((record) => {
    if (loaded.has(record.loadKey) || seen.has(record.loadKey)) return false;
    seen.add(record.loadKey);
    return true;
  });
  const duplicateRecords = good.length - fresh.length;

  let events = 0;
  if (fresh.length > 0) {
    const body = ingestBody(fresh);
    try {
      await deps.store.insertEvents(body.text, token);
      events = body.events;
    } catch (error) {
      const separated = separateInvalidLines(batch, fresh, now);
      if (!separated) throw error;
      dead.push(...separated.dead);
      fresh = separated.records;
      if (fresh.length > 0) {
        const retry = ingestBody(fresh);
        await deps.store.insertEvents(retry.text, `${token}:checked`);
        events = retry.events;
      }
    }
  }
  if (dead.length > 0) await deps.store.insertDeadLetters(dead, `${token}:dead`);
  return {
    records: batch.records.length,
    events,
    duplicateRecords,
    deadLetters: dead.length,
    bytes: batch.records.reduce((n, r) => n + r.data.length, 0),
  };
}
