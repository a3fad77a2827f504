import { gunzipSync } from 'node:zlib';
import {
  ARCHIVE_PREFIX,
  type ArchiveObjectName,
  parseArchiveObjectKey,
  renderArchivePrefix,
} from '../shared/contract/archive-layout.js';
import { PROJECT_ID_PATTERN } from '../shared/contract/event.js';
import { splitArchiveObject } from '../shared/contract/stream-record.js';
import type { LoadBatch, LoadSummary, SourceRecord } from '../shared/load/core.js';

/**
 * Replay: the raw archive loaded back into ClickHouse through the loader's own core.
 *
 * The archive is the full record (every acknowledged stream record, as Firehose wrote it), so a
 * lost node, a bad migration or a fixed dead letter is recovered by loading a range of it again.
 * Each object is cut into its stream records (`splitArchiveObject`) and handed to `loadBatch`
 * with `verifyEvents`: every event is looked up by its identity before it is loaded, so a replay
 * over stored data adds nothing, a replay into an empty store restores every event, and a replay
 * cut short and run again finishes with the exact counts. The record's position in its object is
 * its sequence number, so a batch replayed again carries the same insert tokens.
 *
 * The range is the records' arrival (`received_at`, the validator's clock), which is how the
 * archive is laid out: an object sits in the hour partition of its oldest record's arrival
 * (`ARCHIVE_PREFIX`), and holds records that arrived up to a delivery buffer later. The partitions
 * listed therefore start `PARTITION_LOOKBACK_MS` before the range, and each record is kept or
 * skipped by its own arrival.
 */

/** An object's partition is its oldest record's hour; Firehose buffers at most 900 s, and a late delivery rarely more. */
export const PARTITION_LOOKBACK_MS = 3_600_000;
const HOUR_MS = 3_600_000;
/** The longest range one replay takes: a month of partitions, 744 listings. */
export const MAX_REPLAY_RANGE_MS = 31 * 24 * HOUR_MS;
/** Records handed to `loadBatch` at once: about what the stream's event source hands it. */
export const REPLAY_BATCH_RECORDS = 100;

export class ReplayRangeError extends Error {
  override readonly name = 'ReplayRangeError';
}

/** What to replay: records that arrived from `from` (included) to `to` (excluded), of one project or all. */
export interface ReplayRange {
  readonly fromMs: number;
  readonly toMs: number;
  readonly project?: string;
}

/** Checks a range; throws `ReplayRangeError` naming what is wrong. */
export function checkReplayRange(range: ReplayRange, nowMs: number): ReplayRange {
  const { fromMs, toMs, project } = range;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs))
    throw new ReplayRangeError('from and to must be times');
  if (fromMs >= toMs) throw new ReplayRangeError('from must be before to');
  if (toMs - fromMs > MAX_REPLAY_RANGE_MS) {
    throw new ReplayRangeError('the range must be at most 31 days: replay a longer outage month by month');
  }
  if (fromMs > nowMs) throw new ReplayRangeError('from is in the future: nothing has arrived yet');
  if (project !== undefined && !PROJECT_ID_PATTERN.test(project)) {
    throw new ReplayRangeError(
      `project ${JSON.stringify(project)} is not a project id (${PROJECT_ID_PATTERN.source})`,
    );
  }
  return range;
}

/** The archive's hour prefixes that can hold records of the range, oldest first. */
export function partitionPrefixes(range: ReplayRange): string[] {
  const first = Math.floor((range.fromMs - PARTITION_LOOKBACK_MS) / HOUR_MS) * HOUR_MS;
  const prefixes: string[] = [];
  for (let hour = first; hour < range.toMs; hour += HOUR_MS) {
    prefixes.push(renderArchivePrefix(ARCHIVE_PREFIX, new Date(hour)));
  }
  return prefixes;
}

/** An archive object as a listing gives it. */
export interface ArchiveObjectInfo {
  readonly key: string;
  readonly size: number;
  /** S3's storage class; undefined or STANDARD for a local bucket. */
  readonly storageClass?: string;
}

/** Storage classes whose objects must be restored before they can be read. */
const RESTORE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/** Whether an object's class needs a restore before a GET can read it. */
export const needsRestore = (object: Pick<ArchiveObjectInfo, 'storageClass'>): boolean =>
  object.storageClass !== undefined && RESTORE_CLASSES.has(object.storageClass);

/** An object's restore as HeadObject reports it. */
export type RestoreState = 'not-restored' | 'in-progress' | 'restored';

/** Reads S3's `x-amz-restore` header: `ongoing-request="false", expiry-date="…"` is a readable copy. */
export function parseRestoreHeader(header: string | undefined): RestoreState {
  if (header === undefined || header === '') return 'not-restored';
  if (/ongoing-request="true"/.test(header)) return 'in-progress';
  if (/ongoing-request="false"/.test(header)) return 'restored';
  return 'not-restored';
}

/** What a replay needs of the archive bucket (S3 in AWS, the local S3 API under npm start). */
export interface ArchiveReader {
  /** A name for messages and record sources, like `s3://bucket`. */
  readonly location: string;
  /** Every object under a prefix, in key order. */
  list(prefix: string): Promise<ArchiveObjectInfo[]>;
  /** An object's bytes as stored (gzip members). */
  get(key: string): Promise<Buffer>;
  /** The restore state of an object of a restore class. */
  restoreState(key: string): Promise<RestoreState>;
  /** Asks S3 for a temporary readable copy for `days`, at `tier`. */
  restore(key: string, tier: RestoreTier, days: number): Promise<void>;
}

export type RestoreTier = 'Standard' | 'Bulk';

/** The archive objects a range reads, and whether each one is readable now. */
export interface ReplayPlan {
  readonly objects: readonly ArchiveObjectInfo[];
  readonly bytes: number;
  /** Objects of a restore class without a readable copy yet, with their state. */
  readonly unrestored: readonly (ArchiveObjectInfo & { readonly state: RestoreState })[];
}

/**
 * Lists the range's partitions and keeps the archive objects among them, oldest partition first;
 * asks S3 for the restore state of each object of a restore class.
 */
export async function planReplay(range: ReplayRange, archive: ArchiveReader): Promise<ReplayPlan> {
  const objects: ArchiveObjectInfo[] = [];
  for (const prefix of partitionPrefixes(range)) {
    for (const object of await archive.list(prefix)) {
      if (parseArchiveObjectKey(object.key)) objects.push(object);
    }
  }
  const unrestored: (ArchiveObjectInfo & { state: RestoreState })[] = [];
  for (const object of objects) {
    if (!needsRestore(object)) continue;
    const state = await archive.restoreState(object.key);
    if (state !== 'restored') unrestored.push({ ...object, state });
  }
  return { objects, bytes: objects.reduce((n, o) => n + o.size, 0), unrestored };
}

/** The records of one archive object that belong to the range, in batches for `loadBatch`. */
export interface ObjectBatches {
  readonly batches: LoadBatch[];
  /** Records of the object outside the range or of another project. */
  readonly skippedRecords: number;
  readonly records: number;
}

/**
 * Cuts an archive object (its stored bytes) into the range's records, in batches. A record's
 * sequence number is its position in the object, so the same object gives the same batches and
 * insert tokens however often it is replayed. A stretch with no readable header is kept when the
 * object's own partition is in the range (and no project is asked for), so the loader sets it
 * aside as a dead letter once, not once per overlapping range.
 */
export function objectBatches(
  location: string,
  key: string,
  stored: Buffer,
  range: ReplayRange,
  batchRecords: number = REPLAY_BATCH_RECORDS,
): ObjectBatches {
  const name: ArchiveObjectName | undefined = parseArchiveObjectKey(key);
  let inflated: Buffer;
  try {
    inflated = gunzipSync(stored);
  } catch {
    // An object that is not gzip is one unreadable record: the loader sets it aside with its bytes.
    const inRange =
      name !== undefined && name.partitionHour.getTime() >= Math.floor(range.fromMs / HOUR_MS) * HOUR_MS;
    const keep = inRange && range.project === undefined;
    return {
      batches: keep
        ? [{ source: `${location}/${key}`, records: [{ data: stored, sequenceNumber: '0' }] }]
        : [],
      skippedRecords: keep ? 0 : 1,
      records: 1,
    };
  }
  const slices = splitArchiveObject(inflated);
  const partitionMs = name?.partitionHour.getTime() ?? Number.NaN;
  const ownPartitionInRange =
    partitionMs >= Math.floor(range.fromMs / HOUR_MS) * HOUR_MS && partitionMs < range.toMs;
  const records: SourceRecord[] = [];
  let skipped = 0;
  slices.forEach((slice, index) => {
    let keep: boolean;
    if (slice.receivedAt === undefined || slice.projectId === undefined) {
      keep = ownPartitionInRange && range.project === undefined;
    } else {
      const at = Date.parse(slice.receivedAt);
      keep =
        (range.project === undefined || slice.projectId === range.project) &&
        (Number.isNaN(at) ? ownPartitionInRange : at >= range.fromMs && at < range.toMs);
    }
    if (keep) records.push({ data: slice.bytes, sequenceNumber: String(index), inflated: true });
    else skipped++;
  });
  const batches: LoadBatch[] = [];
  for (let i = 0; i < records.length; i += batchRecords) {
    batches.push({ source: `${location}/${key}`, records: records.slice(i, i + batchRecords) });
  }
  return { batches, skippedRecords: skipped, records: slices.length };
}

/** Running totals of a replay. */
export interface ReplayTotals {
  readonly objects: number;
  readonly bytes: number;
  readonly records: number;
  /** Events inserted into ClickHouse. */
  readonly events: number;
  /** Events found stored already and skipped. */
  readonly duplicateEvents: number;
  readonly deadLetters: number;
  /** Records outside the range or of another project. */
  readonly skippedRecords: number;
}

export const ZERO_TOTALS: ReplayTotals = {
  objects: 0,
  bytes: 0,
  records: 0,
  events: 0,
  duplicateEvents: 0,
  deadLetters: 0,
  skippedRecords: 0,
};

/** What a replay remembers between runs: the range it is for and the objects it has finished. */
export interface ReplayCheckpointState {
  readonly version: 1;
  readonly location: string;
  readonly range: { readonly from: string; readonly to: string; readonly project?: string };
  /** Keys of the objects loaded whole. */
  readonly done: readonly string[];
  readonly totals: ReplayTotals;
}

/** Where a replay keeps its checkpoint (a file under npm start's data directory). */
export interface ReplayCheckpoint {
  load(): Promise<ReplayCheckpointState | undefined>;
  save(state: ReplayCheckpointState): Promise<void>;
  clear(): Promise<void>;
}

/** What a progress line says. */
export interface ReplayProgress {
  readonly objectsTotal: number;
  readonly bytesTotal: number;
  /** Done so far, this run and the runs the checkpoint resumes. */
  readonly totals: ReplayTotals;
  /** Objects the checkpoint said were done when this run began. */
  readonly resumedObjects: number;
  readonly elapsedMs: number;
  /** Events read per second in this run. */
  readonly eventsPerSecond: number;
  /** Seconds left at this run's pace of bytes; undefined before anything is done. */
  readonly etaSeconds: number | undefined;
}

export interface ReplayOptions {
  readonly range: ReplayRange;
  /** Events per second at most (read, loaded or skipped), so live ingest keeps the engine; undefined for no cap. */
  readonly maxEventsPerSecond?: number;
  readonly batchRecords?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Called once the plan is known, before anything loads. */
  readonly onPlan?: (plan: ReplayPlan, resumed: ReplayCheckpointState | undefined) => void;
  /**
   * Objects of a Glacier class without a readable copy: ask S3 for one at this tier, readable for
   * `days`, before loading the rest (a restore takes hours, so it is asked first).
   */
  readonly restore?: { readonly tier: RestoreTier; readonly days: number };
}

export interface ReplayDeps {
  readonly archive: ArchiveReader;
  /** The loader's `loadBatch` with its store bound (and `verifyEvents` set). */
  readonly load: (batch: LoadBatch) => Promise<LoadSummary>;
  readonly checkpoint: ReplayCheckpoint;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface ReplayOutcome {
  /**
   * complete: every object of the range is loaded (the checkpoint is cleared); interrupted:
   * stopped by its signal, the checkpoint holds what was done; waiting-for-restore: everything
   * readable was loaded, objects of the range wait for a restore, the checkpoint remembers the rest.
   */
  readonly status: 'complete' | 'interrupted' | 'waiting-for-restore';
  readonly totals: ReplayTotals;
  readonly plan: ReplayPlan;
  /** Restores this run asked S3 for. */
  readonly restoresRequested: number;
}

const sameRange = (state: ReplayCheckpointState, location: string, range: ReplayRange) =>
  state.location === location &&
  Date.parse(state.range.from) === range.fromMs &&
  Date.parse(state.range.to) === range.toMs &&
  state.range.project === range.project;

/** The fields of a replay's totals, in `ZERO_TOTALS`'s order (the state machine packs them so). */
export const TOTALS_FIELDS = Object.keys(ZERO_TOTALS) as (keyof ReplayTotals)[];

/** `a` plus `b`, field by field. */
export const addTotals = (a: ReplayTotals, b: Partial<ReplayTotals>): ReplayTotals =>
  Object.fromEntries(TOTALS_FIELDS.map((f) => [f, a[f] + (b[f] ?? 0)])) as unknown as ReplayTotals;

/** What one loaded batch adds to a replay's totals. */
export const batchTotals = (summary: LoadSummary): Partial<ReplayTotals> => ({
  records: summary.records,
  events: summary.events,
  duplicateEvents: summary.duplicateEvents,
  deadLetters: summary.deadLetters,
});

/** What one object loaded whole adds to a replay's totals. */
export const objectTotals = (object: ArchiveObjectInfo, cut: ObjectBatches): Partial<ReplayTotals> => ({
  objects: 1,
  bytes: object.size,
  skippedRecords: cut.skippedRecords,
});

/**
 * Replays a range: plans it, resumes from the checkpoint when it is for the same range, loads each
 * readable object's records through `deps.load` at most at the rate asked, and saves the
 * checkpoint after each object. A checkpoint for another range is replaced. The checkpoint is
 * cleared when the range is complete, so the same command later is a new replay (which adds
 * nothing over what is stored).
 */
export async function runReplay(options: ReplayOptions, deps: ReplayDeps): Promise<ReplayOutcome> {
  const { range, signal } = options;
  const location = deps.archive.location;
  const plan = await planReplay(range, deps.archive);
  const saved = await deps.checkpoint.load();
  const resumed = saved && sameRange(saved, location, range) ? saved : undefined;
  options.onPlan?.(plan, resumed);
  let restoresRequested = 0;
  if (options.restore) {
    for (const object of plan.unrestored) {
      if (object.state !== 'not-restored') continue;
      await deps.archive.restore(object.key, options.restore.tier, options.restore.days);
      restoresRequested++;
    }
  }
  const done = new Set(resumed?.done ?? []);
  let totals = resumed?.totals ?? ZERO_TOTALS;
  const resumedObjects = plan.objects.filter((o) => done.has(o.key)).length;
  const waiting = new Set(plan.unrestored.map((o) => o.key));
  const checkpointRange = {
    from: new Date(range.fromMs).toISOString(),
    to: new Date(range.toMs).toISOString(),
    ...(range.project === undefined ? {} : { project: range.project }),
  };
  const started = deps.now();
  let eventsThisRun = 0;
  let bytesThisRun = 0;
  const bytesLeftAtStart = plan.objects.filter((o) => !done.has(o.key)).reduce((n, o) => n + o.size, 0);
  const progress = () => {
    const elapsedMs = Math.max(1, deps.now() - started);
    const byteRate = bytesThisRun / elapsedMs;
    options.onProgress?.({
      objectsTotal: plan.objects.length,
      bytesTotal: plan.bytes,
      totals,
      resumedObjects,
      elapsedMs,
      eventsPerSecond: (eventsThisRun * 1000) / elapsedMs,
      etaSeconds: byteRate > 0 ? Math.ceil((bytesLeftAtStart - bytesThisRun) / byteRate / 1000) : undefined,
    });
  };
  const save = () =>
    deps.checkpoint.save({ version: 1, location, range: checkpointRange, done: [...done], totals });

  for (const object of plan.objects) {
    if (done.has(object.key) || waiting.has(object.key)) continue;
    if (signal?.aborted) {
      await save();
      return { status: 'interrupted', totals, plan, restoresRequested };
    }
    const cut = objectBatches(
      location,
      object.key,
      await deps.archive.get(object.key),
      range,
      options.batchRecords,
    );
    for (const batch of cut.batches) {
      if (signal?.aborted) {
        await save();
        return { status: 'interrupted', totals, plan, restoresRequested };
      }
      // The cap: a batch starts no earlier than the events read before it allow.
      const cap = options.maxEventsPerSecond;
      if (cap !== undefined && cap > 0 && eventsThisRun > 0) {
        const wait = started + (eventsThisRun * 1000) / cap - deps.now();
        if (wait > 0) await deps.sleep(wait, signal);
        if (signal?.aborted) {
          await save();
          return { status: 'interrupted', totals, plan, restoresRequested };
        }
      }
      const summary = await deps.load(batch);
      eventsThisRun += summary.events + summary.duplicateEvents;
      totals = addTotals(totals, batchTotals(summary));
    }
    done.add(object.key);
    bytesThisRun += object.size;
    totals = addTotals(totals, objectTotals(object, cut));
    await save();
    progress();
  }
  if (waiting.size > 0) {
    await save();
    return { status: 'waiting-for-restore', totals, plan, restoresRequested };
  }
  await deps.checkpoint.clear();
  return { status: 'complete', totals, plan, restoresRequested };
}

/** What a restore of objects costs and how long S3 takes, by class and tier. */
export interface RestoreEstimate {
  readonly objects: number;
  readonly bytes: number;
  readonly usd: number;
  /** S3's stated completion time, like "within 12 hours". */
  readonly within: string;
}

/** Per GB and per 1,000 requests of a restore, and S3's stated time: lib/pricing/prices.ts gives them. */
export interface RestorePrices {
  readonly perGb: number;
  readonly perThousandRequests: number;
  readonly within: string;
}

/** The cost of restoring `objects` at the given prices: retrieval per GB plus per request. */
export function restoreEstimate(
  objects: readonly Pick<ArchiveObjectInfo, 'size'>[],
  prices: RestorePrices,
): RestoreEstimate {
  const bytes = objects.reduce((n, o) => n + o.size, 0);
  return {
    objects: objects.length,
    bytes,
    usd: (bytes / 1e9) * prices.perGb + (objects.length / 1000) * prices.perThousandRequests,
    within: prices.within,
  };
}
