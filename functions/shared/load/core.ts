import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { checkEvent, PROJECT_ID_PATTERN } from '../contract/event.js';
import {
  type AnyStreamRecordHeader,
  decodeStreamRecord,
  OTLP_RECORD_FORMAT,
  STREAM_RECORD_FORMAT,
} from '../contract/stream-record.js';
import { describeZodIssues } from '../zod-issues.js';
import { classifyEngineError, type EngineErrorKind, engineErrorCode } from './engine-errors.js';

/**
 * The loader: Kinesis records in, ClickHouse inserts out.
 *
 * Exactly once, by each event's identity (project, trace_id, span_id and the minute of its
 * timestamp, which a resend carries unchanged):
 * - A request seen for the first time (its request key, the hash of its Idempotency-Key or of
 *   its content, is not in `loaded_requests`) is loaded whole, with no per-event look-up: that is
 *   the common case, and it costs one small query per batch.
 * - A request seen before (a client's resend, however the validator split or filtered it this
 *   time, or an Idempotency-Key reused for another body) is loaded event by event: the events
 *   already in `events` are skipped, the others loaded. The validator routes a request and its
 *   resend to the same shard, so they are loaded in order, never concurrently.
 * - A batch delivered again (a Lambda retry, a replay) finds its requests loaded and loads only
 *   what is missing; each insert also carries an insert_deduplication_token derived from exactly
 *   the lines it holds, so ClickHouse drops a block it already has.
 *
 * On a cluster the records are split by the shard that owns their project (`cityHash64(project_id)
 * % shards`, as the Distributed tables pick it) and each shard's part is checked and inserted on a
 * node of that shard: a request, its resend and its events all live on one shard, so the dedup
 * reads and the insert see the same data (docs/store.md, "Exactly once with replicas").
 *
 * Nothing in the data can stall a shard. A record that cannot be read (not gzip, not our format)
 * is a dead letter. When ClickHouse refuses an insert for its data, the insert is split until
 * the refused events are found; those go to `load_dead_letters` with the engine's code and
 * reason, and the rest of the batch loads. Only an engine that cannot take inserts at all
 * (unavailable, out of memory, too many parts…) fails the batch, which the event source retries.
 */

export interface SourceRecord {
  /** The record's bytes: gzip as the stream carries them, or inflated when `inflated` (an archive object's record). */
  readonly data: Buffer;
  readonly sequenceNumber: string;
  /** The bytes are the record inflated: a replay cuts records out of an inflated archive object. */
  readonly inflated?: boolean;
}

export interface LoadBatch {
  /** Where the records come from: stream ARN and shard id, or an archive object's key. */
  readonly source: string;
  readonly records: readonly SourceRecord[];
}

export interface DeadLetter {
  readonly failed_at: string;
  /** The record header's project; '' when the header could not be read. */
  readonly project_id: string;
  /** Stream, shard and sequence number of the record. */
  readonly source: string;
  readonly request_id: string;
  readonly reason: string;
  /** ClickHouse's error code when the engine refused the event; 0 otherwise. */
  readonly engine_code: number;
  /** The refused event's line as the validator forwarded it; '' for a record that could not be read. */
  readonly line: string;
  /** The bytes of a record that could not be read; '' for an event letter. */
  readonly data_base64: string;
}

/** An event's identity and minute, as `events` is sorted: what finds it again. */
export interface EventKey {
  readonly trace_id: string;
  readonly span_id: string;
  /** Epoch milliseconds of the event's timestamp. */
  readonly timestampMs: number;
}

/** What the loader needs of ClickHouse. */
export interface LoaderStore {
  /** Which of these request keys have been loaded before. */
  loadedRequestKeys(keys: readonly string[]): Promise<Set<string>>;
  /**
   * Records requests in `loaded_requests` before their events are inserted: a load cut short
   * between the two (a killed process, a Lambda timeout) leaves the requests marked and their
   * events missing, and the retry looks the events up and loads the missing ones. The other order
   * (events first) would leave events stored under requests not marked, loaded again by a retry
   * whose batch differs (and so its insert token).
   */
  markRequests(
    requests: readonly { project_id: string; request_key: string }[],
    deduplicationToken: string,
  ): Promise<void>;
  /** Which of these events of a project are in `events`, named by `eventId`. */
  storedEvents(projectId: string, events: readonly EventKey[]): Promise<Set<string>>;
  /** One insert of NDJSON rows for `events_ingest`; throws when ClickHouse did not take it. */
  insertEvents(ndjson: string, deduplicationToken: string): Promise<void>;
  insertDeadLetters(letters: readonly DeadLetter[], deduplicationToken: string): Promise<void>;
}

export interface LoadSummary {
  readonly records: number;
  /** Events inserted. */
  readonly events: number;
  /** Records none of whose events were loaded, because all were stored before (a resend). */
  readonly duplicateRecords: number;
  /** Events skipped because they were stored before. */
  readonly duplicateEvents: number;
  /** Dead letters written: refused events plus unreadable records. */
  readonly deadLetters: number;
  /** Of those, records that could not be read at all. */
  readonly deadRecords: number;
  readonly bytes: number;
}

const BatchHeader = z.object({
  format: z.literal(STREAM_RECORD_FORMAT),
  project_id: z.string().regex(PROJECT_ID_PATTERN),
  key_id: z.string(),
  received_at: z.iso.datetime(),
  request_id: z.string().min(1),
  request_key: z.string().regex(/^[0-9a-f]{64}$/),
  part: z.number().int().min(0),
  events: z.number().int().min(0),
});
/** An OTLP record's header: its own fields were checked when its export was read. */
const Header = z.discriminatedUnion('format', [
  BatchHeader,
  BatchHeader.extend({ format: z.literal(OTLP_RECORD_FORMAT) }),
]);

export interface GoodRecord {
  readonly source: SourceRecord;
  readonly header: AnyStreamRecordHeader;
  readonly lines: string[];
  /** The header's fields as `events_ingest` takes them, put in front of each of its lines. */
  readonly prefix: string;
}

/** ClickHouse's basic DateTime64 text form: "2026-01-31 12:00:00.000". */
const engineTime = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

const MAX_REASON_CHARS = 4_096;

function recordLetter(
  batch: LoadBatch,
  record: SourceRecord,
  reason: string,
  now: number,
  projectId = '',
): DeadLetter {
  return {
    failed_at: engineTime(now),
    project_id: projectId,
    source: `${batch.source}:${record.sequenceNumber}`,
    request_id: '',
    reason,
    engine_code: 0,
    line: '',
    // A dead letter keeps the record as the stream carries it, so a redrive reads every letter alike.
    data_base64: (record.inflated ? gzipSync(record.data, { level: 1 }) : record.data).toString('base64'),
  };
}

/** Splits a batch into records that can load and dead letters, each with its reason. */
export function decodeBatch(batch: LoadBatch, now: number): { good: GoodRecord[]; dead: DeadLetter[] } {
  const good: GoodRecord[] = [];
  const dead: DeadLetter[] = [];
  for (const record of batch.records) {
    let decoded: ReturnType<typeof decodeStreamRecord>;
    try {
      decoded = decodeStreamRecord(record.data, { inflated: record.inflated === true });
    } catch (error) {
      dead.push(recordLetter(batch, record, (error as Error).message, now));
      continue;
    }
    const header = Header.safeParse(decoded.header);
    const project = PROJECT_ID_PATTERN.test(String(decoded.header.project_id))
      ? decoded.header.project_id
      : '';
    if (!header.success) {
      const problems = describeZodIssues(header.error);
      dead.push(recordLetter(batch, record, `stream record header is invalid: ${problems}`, now, project));
      continue;
    }
    const held = decoded.lines.length + decoded.rejected.length;
    if (header.data.events !== held) {
      dead.push(
        recordLetter(
          batch,
          record,
          `header announces ${header.data.events} events, record holds ${held}`,
          now,
          project,
        ),
      );
      continue;
    }
    const h = decoded.header;
    if (decoded.rejected.length > 0) {
      // Spans the validator accepted and this code refuses: set aside with the record, so that
      // re-driving it loads them once the codes agree; the record's other events load now.
      const reasons = decoded.rejected.slice(0, 3).join('; ');
      const more = decoded.rejected.length > 3 ? `; and ${decoded.rejected.length - 3} more` : '';
      const reason =
        `${decoded.rejected.length} of ${held} spans of this OTLP record cannot be events: ${reasons}${more}`.slice(
          0,
          MAX_REASON_CHARS,
        );
      dead.push({ ...recordLetter(batch, record, reason, now, project), request_id: h.request_id });
    }
    const prefix = `{"_project_id":${JSON.stringify(h.project_id)},"_received_at":${JSON.stringify(h.received_at)},"_request_id":${JSON.stringify(h.request_id)},"_request_key":${JSON.stringify(h.request_key)},`;
    good.push({ source: record, header: h, lines: decoded.lines, prefix });
  }
  return { good, dead };
}

/** The insert token for a batch: the same records give the same token, whoever loads them. */
export function deduplicationToken(batch: LoadBatch): string {
  const hash = createHash('sha256').update(batch.source);
  for (const record of batch.records) hash.update('\n').update(record.sequenceNumber);
  return hash.digest('hex');
}

/** One event line of a record, on its way to `events_ingest`. */
interface PendingLine {
  readonly record: GoodRecord;
  /** Position among the record's lines. */
  readonly at: number;
  readonly text: string;
}

/** An event line with the record header's fields put in front, as `events_ingest` takes it. */
function ingestLine(line: PendingLine): string {
  return `${line.record.prefix}${line.text.slice(line.text.indexOf('{') + 1)}`;
}

/** The NDJSON for `events_ingest` of whole decoded records: what one insert of them sends (the loader benchmark's limit). */
export function ingestBody(records: readonly GoodRecord[]): { text: string; events: number } {
  const lines = records.flatMap((record) => record.lines.map((text, at) => ingestLine({ record, at, text })));
  return { text: lines.join('\n'), events: lines.length };
}

/**
 * The token of one insert, from exactly the lines it holds: the same lines (a retried batch, the
 * same split) give the same token and ClickHouse drops the repeat; other lines never share one.
 */
function insertToken(source: string, lines: readonly PendingLine[]): string {
  const hash = createHash('sha256').update(source);
  for (const line of lines) hash.update(`\n${line.record.source.sequenceNumber}:${line.at}`);
  return hash.digest('hex');
}

/** The identity of an event line, by the contract's normalisation; undefined when it breaks the contract. */
function eventKeyOf(text: string, projectId: string): EventKey | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const check = checkEvent(raw, projectId);
  if (!check.ok) return undefined;
  const { trace_id, span_id, timestamp } = check.event;
  return { trace_id, span_id, timestampMs: Date.parse(timestamp) };
}

/**
 * An event's identity: the same call is the same trace_id and span_id in the same minute (its
 * timestamp, which a resend carries unchanged). `events` is sorted by project and minute, so this
 * is found with the sort key rather than by scanning the project's history.
 */
export const eventId = (key: EventKey): string =>
  `${key.trace_id}/${key.span_id}/${Math.floor(key.timestampMs / 60_000)}`;

/**
 * The lines to load from records of requests seen before (or earlier in this batch): every line
 * whose event is neither in `events` nor earlier in this batch.
 */
async function unseenLines(
  records: readonly GoodRecord[],
  store: LoaderStore,
): Promise<{ lines: PendingLine[]; skipped: number; emptyRecords: number }> {
  const byProject = new Map<string, { line: PendingLine; key?: EventKey }[]>();
  for (const record of records) {
    const project = record.header.project_id;
    const list = byProject.get(project) ?? [];
    record.lines.forEach((text, at) => {
      list.push({ line: { record, at, text }, key: eventKeyOf(text, project) });
    });
    byProject.set(project, list);
  }
  const lines: PendingLine[] = [];
  let skipped = 0;
  const kept = new Set<GoodRecord>();
  for (const [project, list] of byProject) {
    const keys = list.flatMap((l) => (l.key ? [l.key] : []));
    const stored = keys.length > 0 ? await store.storedEvents(project, keys) : new Set<string>();
    // Events earlier in the batch count as stored: their insert has not run yet.
    for (const { line, key } of list) {
      const id = key && eventId(key);
      if (id !== undefined) {
        if (stored.has(id)) {
          skipped++;
          continue;
        }
        stored.add(id);
      }
      lines.push(line);
      kept.add(line.record);
    }
  }
  return { lines, skipped, emptyRecords: records.filter((r) => !kept.has(r)).length };
}

interface IsolationOutcome {
  inserted: number;
  readonly refused: Refusal[];
  /** Inserts refused with an unknown code while nothing had gone in, and how many are allowed. */
  unprovenFailures: number;
  readonly unprovenBudget: number;
}

interface Refusal {
  readonly line: PendingLine;
  readonly error: Error;
  readonly kind: EngineErrorKind;
}

/**
 * Inserts lines; when the engine refuses them for their data, splits them in two until each
 * refused line stands alone. Throws at once when the engine is unavailable.
 */
async function insertIsolating(
  lines: readonly PendingLine[],
  source: string,
  store: LoaderStore,
  outcome: IsolationOutcome,
): Promise<void> {
  if (lines.length === 0) return;
  try {
    await store.insertEvents(lines.map(ingestLine).join('\n'), insertToken(source, lines));
    outcome.inserted += lines.length;
  } catch (error) {
    const kind = classifyEngineError(error);
    if (kind === 'unavailable') throw error;
    // Refusals with a code that names nothing, while nothing has gone in: past a few splits'
    // worth, the engine rather than the data is the likely cause; retry the batch rather than
    // split it line by line.
    if (kind === 'unknown' && outcome.inserted === 0 && ++outcome.unprovenFailures > outcome.unprovenBudget)
      throw error;
    if (lines.length === 1) {
      outcome.refused.push({ line: lines[0] as PendingLine, error: error as Error, kind });
      return;
    }
    const half = Math.ceil(lines.length / 2);
    await insertIsolating(lines.slice(0, half), source, store, outcome);
    await insertIsolating(lines.slice(half), source, store, outcome);
  }
}

function eventLetter(batch: LoadBatch, refusal: Refusal, now: number): DeadLetter {
  const { record, text } = refusal.line;
  return {
    failed_at: engineTime(now),
    project_id: record.header.project_id,
    source: `${batch.source}:${record.source.sequenceNumber}`,
    request_id: record.header.request_id,
    reason: `ClickHouse refused the event: ${refusal.error.message}`.slice(0, MAX_REASON_CHARS),
    engine_code: engineErrorCode(refusal.error) ?? 0,
    line: text,
    data_base64: '',
  };
}

/**
 * The shards of a cluster, each with the store of a node that owns its rows: a project's rows,
 * its `loaded_requests` and its `events` all live on the shard `shardOf(project_id)` names.
 */
export interface ShardedStore {
  readonly shards: readonly LoaderStore[];
  /** The index in `shards` of the shard that owns a project (as the Distributed tables pick it). */
  shardOf(projectId: string): number;
}

const isSharded = (store: LoaderStore | ShardedStore): store is ShardedStore => 'shards' in store;

interface ShardOutcome {
  readonly inserted: number;
  readonly refused: Refusal[];
  readonly skipped: number;
  readonly emptyRecords: number;
}

/**
 * Loads the records one shard owns through that shard's store: the dedup reads and the insert
 * agree because both see the one shard that holds the project. A request and its resend name the
 * same project, so they meet on the same shard.
 */
async function loadShard(
  records: readonly GoodRecord[],
  source: string,
  store: LoaderStore,
  verifyEvents: boolean,
): Promise<ShardOutcome> {
  const keys = [...new Set(records.map((r) => r.header.request_key))];
  // Verifying every event: each record is treated as a resend, its stored events skipped.
  const loaded = verifyEvents
    ? new Set(keys)
    : keys.length > 0
      ? await store.loadedRequestKeys(keys)
      : new Set<string>();
  // A request key met twice in one batch (a quick resend) is a resend from its second record on;
  // its first record's events are remembered so that the second skips them.
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.header.request_key, (counts.get(r.header.request_key) ?? 0) + 1);
  const fresh: PendingLine[] = [];
  const checked: GoodRecord[] = [];
  // Requests not loaded before, each once: marked before their events go in (`markRequests`),
  // a request met twice in this batch included.
  const unmarked = new Map<string, string>();
  for (const record of records) {
    const key = record.header.request_key;
    if (!loaded.has(key)) unmarked.set(key, record.header.project_id);
    if (loaded.has(key) || (counts.get(key) ?? 0) > 1) checked.push(record);
    else
      record.lines.forEach((text, at) => {
        fresh.push({ record, at, text });
      });
  }
  const resent = await unseenLines(checked, store);
  if (unmarked.size > 0) {
    const marks = [...unmarked].map(([request_key, project_id]) => ({ project_id, request_key }));
    const token = createHash('sha256').update(`requests:${source}`);
    for (const mark of marks) token.update(`\n${mark.request_key}`);
    await store.markRequests(marks, `requests:${token.digest('hex')}`);
  }

  const pending = [...fresh, ...resent.lines];
  const outcome: IsolationOutcome = {
    inserted: 0,
    refused: [],
    unprovenFailures: 0,
    // Enough to reach a few bad lines at the front of the batch and find a good one after them.
    unprovenBudget: 2 * Math.ceil(Math.log2(pending.length + 1)) + 4,
  };
  await insertIsolating(pending, source, store, outcome);
  // A code that does not name the data is set aside only when other events went in, which
  // shows the refusal is about these events and not about the engine.
  const unproven = outcome.refused.find((r) => r.kind === 'unknown');
  if (unproven && outcome.inserted === 0) throw unproven.error;
  return {
    inserted: outcome.inserted,
    refused: outcome.refused,
    skipped: resent.skipped,
    emptyRecords: resent.emptyRecords,
  };
}

export interface LoadOptions {
  /**
   * Look every event up in `events` before loading it, whether or not its request is in
   * `loaded_requests`: for a replay of the archive or a redrive of dead letters, whose requests
   * may be older than `loaded_requests` keeps them (8 days) or were never recorded there, so that
   * loading them over stored data adds nothing. The stream's own batches do without: a request
   * not seen before is loaded whole, with one small query per batch.
   */
  readonly verifyEvents?: boolean;
}

/**
 * Loads one batch: decode, skip what was loaded before, insert the rest, dead letters for what
 * cannot load. With a `ShardedStore`, the records are split by the shard that owns their project
 * and each shard's part loads on its own (one insert per shard, in parallel); a shard that cannot
 * take its insert fails the batch, and the retry finds the other shards' rows loaded.
 */
export async function loadBatch(
  batch: LoadBatch,
  deps: { store: LoaderStore | ShardedStore; now: () => number },
  options: LoadOptions = {},
): Promise<LoadSummary> {
  const now = deps.now();
  const sharded: ShardedStore = isSharded(deps.store)
    ? deps.store
    : { shards: [deps.store], shardOf: () => 0 };
  const storeOf = (projectId: string): LoaderStore => {
    const index = sharded.shards.length === 1 ? 0 : sharded.shardOf(projectId);
    const store = sharded.shards[index];
    if (!store) throw new Error(`no store for shard ${index} of ${sharded.shards.length}`);
    return store;
  };
  const { good, dead } = decodeBatch(batch, now);
  const deadRecords = batch.records.length - good.length;

  const byStore = new Map<LoaderStore, GoodRecord[]>();
  for (const record of good) {
    const store = storeOf(record.header.project_id);
    const records = byStore.get(store);
    if (records) records.push(record);
    else byStore.set(store, [record]);
  }
  const settled = await Promise.allSettled(
    [...byStore].map(([store, records]) =>
      loadShard(records, batch.source, store, options.verifyEvents === true),
    ),
  );
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const outcomes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  dead.push(...outcomes.flatMap((o) => o.refused.map((r) => eventLetter(batch, r, now))));
  if (dead.length > 0) {
    const hash = createHash('sha256').update(deduplicationToken(batch));
    for (const letter of dead) hash.update(`\n${letter.source}:${letter.line.length}:${letter.reason}`);
    // One insert, on the shard of the first letter's project: the same batch picks the same shard
    // and token again, so a retry is dropped as a repeat (`load_dead_letters` is spread by rand()).
    await storeOf(dead[0]?.project_id ?? '').insertDeadLetters(dead, `dead:${hash.digest('hex')}`);
  }
  const sum = (pick: (o: ShardOutcome) => number) => outcomes.reduce((n, o) => n + pick(o), 0);
  return {
    records: batch.records.length,
    events: sum((o) => o.inserted),
    duplicateRecords: sum((o) => o.emptyRecords),
    duplicateEvents: sum((o) => o.skipped),
    deadLetters: dead.length,
    deadRecords,
    bytes: batch.records.reduce((n, r) => n + r.data.length, 0),
  };
}
