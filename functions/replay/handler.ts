import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ClickHouseClient } from '@clickhouse/client';
import middy from '@middy/core';
import { z } from 'zod';
import { parseArchiveObjectKey } from '../shared/contract/archive-layout.js';
import { applyHeapTuning } from '../shared/heap-tuning.js';
import { type LoaderStore, loadBatch, type ShardedStore } from '../shared/load/core.js';
import { REPLAY_METRICS as M, METRIC_SERVICES } from '../shared/metrics-catalog.js';
import { observability } from '../shared/observability.js';
import { describeZodIssues } from '../shared/zod-issues.js';
import {
  type ArchiveObjectInfo,
  type ArchiveReader,
  addTotals,
  batchTotals,
  checkReplayRange,
  needsRestore,
  objectBatches,
  objectTotals,
  partitionPrefixes,
  type ReplayRange,
  type ReplayTotals,
  type RestoreState,
  TOTALS_FIELDS,
  ZERO_TOTALS,
} from './core.js';
import { archiveReader, loaderStore, replayClient, replaySettings } from './deps.js';
import { type RedriveSummary, redriveDeadLetters } from './redrive.js';

// Before the first batch: the collector's settings for batch-sized garbage (see heap-tuning.ts).
applyHeapTuning();

const { logger, metrics } = observability(METRIC_SERVICES.replay);

/**
 * Records handed to `loadBatch` at once: 8 stream records of up to 500 events are ~4,000 events,
 * ~720 MiB at the loader's measured 0.18 MiB an event, beside the object itself (stored and
 * inflated) in the function's 2,048 MiB. The core's default of 100 records would need ~9 GiB.
 */
export const REPLAY_LOAD_RECORDS = 8;
/** Days a restored copy stays readable: a bulk restore takes up to 48 hours, and the replay reads it after. */
export const RESTORE_DAYS = 7;
/** The most items one invocation takes: the state machine's batches are a few objects. */
const MAX_ITEMS = 1_000;

/**
 * An object of the batch waits for S3 to finish its restore: the state machine's retry policy for
 * this error name waits hours between attempts. Nothing of the batch was loaded.
 */
export class ObjectNotRestoredError extends Error {
  override readonly name = 'ObjectNotRestored';
}

/**
 * The input cannot be used (a bad field, a bad range, an archived object and no restore tier):
 * the state machine does not retry it.
 */
export class ReplayInputError extends Error {
  override readonly name = 'ReplayInputError';
}

const IsoTime = z.iso.datetime({
  offset: true,
  message: 'must be an ISO-8601 time, like 2026-11-30T14:00:00Z',
});
const RestoreTier = z.enum(['Standard', 'Bulk']);

/** What the replay is for: the execution input, as the state machine hands it on. */
const RangeFields = {
  from: IsoTime,
  to: IsoTime,
  project: z.string().nullish(),
  /** Restore archived objects at this tier when a batch meets one; unset, a batch that meets one fails. */
  restoreTier: RestoreTier.nullish(),
  /** Only ask S3 for the restores (at `restoreTier`), load nothing: a first pass, so all restores run at once. */
  restoreOnly: z.boolean().nullish(),
};

const PlanRequest = z.strictObject({
  action: z.literal('plan'),
  ...RangeFields,
  /** Invocations loading at once (the rate cap); unset, the tier's default. */
  maxConcurrency: z.number().int().min(1).max(10_000).nullish(),
});

/** An object of an S3 listObjectsV2 item reader's listing, as a Distributed Map's ItemBatcher hands it on. */
const ListedObject = z.looseObject({
  Key: z.string().min(1),
  Size: z.number().int().min(0),
  StorageClass: z.string().optional(),
});

const ObjectsRequest = z.strictObject({
  action: z.literal('objects'),
  Items: z.array(ListedObject).max(MAX_ITEMS),
  BatchInput: z.strictObject(RangeFields),
});

const TotalsObject = z.strictObject(
  Object.fromEntries(TOTALS_FIELDS.map((field) => [field, z.number().min(0)])) as Record<
    keyof ReplayTotals,
    z.ZodNumber
  >,
);
const TotalsArray = z.array(z.number().min(0)).length(TOTALS_FIELDS.length);

const SumRequest = z.strictObject({
  action: z.literal('sum'),
  /** Totals of batches or hours: objects, or arrays in `TOTALS_FIELDS` order. */
  results: z.array(z.union([TotalsObject, TotalsArray])),
});

const RedriveRequest = z.strictObject({
  action: z.literal('redrive'),
  project: z.string().optional(),
  reason: z.string().min(1).optional(),
});

const ReplayRequest = z.discriminatedUnion(
  'action',
  [PlanRequest, ObjectsRequest, SumRequest, RedriveRequest],
  {
    error: 'action must be one of plan, objects, sum, redrive',
  },
);

export type ReplayRequest = z.input<typeof ReplayRequest>;

/** The plan: the hour prefixes to list, and the range and options every later state hands on. */
export interface PlanAnswer {
  readonly prefixes: string[];
  readonly from: string;
  readonly to: string;
  readonly project: string | null;
  readonly restoreTier: 'Standard' | 'Bulk' | null;
  readonly restoreOnly: boolean;
  readonly maxConcurrency: number;
}

export type ReplayAnswer = PlanAnswer | ReplayTotals | RedriveSummary;

/** What the handler reaches out to; `createReplayHandler`'s callers pass their own. */
export interface ReplayHandlerDeps {
  readonly archive: () => ArchiveReader;
  readonly store: () => Promise<LoaderStore | ShardedStore>;
  /** The client a redrive reads and marks dead letters with. */
  readonly client: () => Promise<ClickHouseClient>;
  /** Invocations at once when a replay names none. */
  readonly defaultMaxConcurrency: () => number;
  /** @default Date.now */
  readonly now?: () => number;
}

function parseRequest(event: unknown): z.output<typeof ReplayRequest> {
  const parsed = ReplayRequest.safeParse(event);
  if (!parsed.success)
    throw new ReplayInputError(`replay input is invalid: ${describeZodIssues(parsed.error)}`);
  return parsed.data;
}

function rangeOf(fields: { from: string; to: string; project?: string | null | undefined }, now: number) {
  const range: ReplayRange = {
    fromMs: Date.parse(fields.from),
    toMs: Date.parse(fields.to),
    ...(fields.project == null ? {} : { project: fields.project }),
  };
  try {
    return checkReplayRange(range, now);
  } catch (error) {
    throw new ReplayInputError(`replay input is invalid: ${(error as Error).message}`);
  }
}

function plan(request: z.output<typeof PlanRequest>, deps: ReplayHandlerDeps, now: number): PlanAnswer {
  if (request.restoreOnly && !request.restoreTier) {
    throw new ReplayInputError('replay input is invalid: restoreOnly needs a restoreTier (Standard or Bulk)');
  }
  const range = rangeOf(request, now);
  return {
    prefixes: partitionPrefixes(range),
    from: new Date(range.fromMs).toISOString(),
    to: new Date(range.toMs).toISOString(),
    project: range.project ?? null,
    restoreTier: request.restoreTier ?? null,
    restoreOnly: request.restoreOnly ?? false,
    maxConcurrency: request.maxConcurrency ?? deps.defaultMaxConcurrency(),
  };
}

/** Sums batches' or hours' totals, objects or arrays in `TOTALS_FIELDS` order alike. */
export function sumTotals(results: readonly (ReplayTotals | readonly number[])[]): ReplayTotals {
  return results.reduce<ReplayTotals>((sum, result) => {
    if (!Array.isArray(result)) return addTotals(sum, result as ReplayTotals);
    return addTotals(sum, Object.fromEntries(TOTALS_FIELDS.map((f, i) => [f, result[i] ?? 0])));
  }, ZERO_TOTALS);
}

/**
 * One item batch of the archive listing: objects of a restore class without a readable copy are
 * restored (when the replay names a tier) and fail the batch with `ObjectNotRestoredError` before
 * anything loads, so its retry finds them readable; every other archive object's records of the
 * range are loaded with `verifyEvents`, so a batch loaded twice adds nothing the second time.
 * Keys that are not archive objects (Firehose's errors, the loader's failure records) are skipped.
 * With `restoreOnly`, the restores are asked for and nothing loads: `objects` and `bytes` then
 * count the restores asked for.
 */
async function replayObjects(
  request: z.output<typeof ObjectsRequest>,
  deps: ReplayHandlerDeps,
  now: () => number,
): Promise<ReplayTotals> {
  const options = request.BatchInput;
  const range = rangeOf(options, now());
  const tier = options.restoreTier ?? undefined;
  if (options.restoreOnly && !tier) {
    throw new ReplayInputError('replay input is invalid: restoreOnly needs a restoreTier (Standard or Bulk)');
  }
  const archive = deps.archive();
  const objects: ArchiveObjectInfo[] = request.Items.flatMap((item) =>
    parseArchiveObjectKey(item.Key)
      ? [
          {
            key: item.Key,
            size: item.Size,
            ...(item.StorageClass ? { storageClass: item.StorageClass } : {}),
          },
        ]
      : [],
  );
  const waiting: (ArchiveObjectInfo & { state: RestoreState })[] = [];
  for (const object of objects) {
    if (!needsRestore(object)) continue;
    const state = await archive.restoreState(object.key);
    if (state !== 'restored') waiting.push({ ...object, state });
  }
  const toRestore = waiting.filter((o) => o.state === 'not-restored');
  if (toRestore.length > 0 && !tier) {
    throw new ReplayInputError(
      `${toRestore.length} object(s) of the batch are archived (${toRestore[0]?.storageClass}, first ${toRestore[0]?.key}) and not restored: start the replay with "restoreTier": "Bulk" (within 48 hours) or "Standard" (within 12 hours)`,
    );
  }
  for (const object of toRestore)
    await archive.restore(object.key, tier as 'Standard' | 'Bulk', RESTORE_DAYS);
  if (toRestore.length > 0) metrics.addMetric(M.restoresRequested, MetricUnit.Count, toRestore.length);
  if (options.restoreOnly) {
    return addTotals(ZERO_TOTALS, {
      objects: toRestore.length,
      bytes: toRestore.reduce((n, o) => n + o.size, 0),
    });
  }
  if (waiting.length > 0) {
    const first = waiting[0] as ArchiveObjectInfo & { state: RestoreState };
    throw new ObjectNotRestoredError(
      `${waiting.length} of the batch's ${objects.length} object(s) wait for their restore (${toRestore.length} asked for now, at ${tier ?? 'the tier asked before'}); first ${first.key}, ${first.state}`,
    );
  }

  const store = await deps.store();
  let totals = ZERO_TOTALS;
  try {
    for (const object of objects) {
      const cut = objectBatches(
        archive.location,
        object.key,
        await archive.get(object.key),
        range,
        REPLAY_LOAD_RECORDS,
      );
      for (const batch of cut.batches) {
        const summary = await loadBatch(batch, { store, now }, { verifyEvents: true });
        totals = addTotals(totals, batchTotals(summary));
        if (summary.deadLetters > 0)
          logger.error('events or records written to load_dead_letters', { source: batch.source, summary });
      }
      totals = addTotals(totals, objectTotals(object, cut));
    }
  } finally {
    // What loaded before a failure is counted; the retry finds it stored and counts it as duplicates.
    metrics.addMetric(M.objectsReplayed, MetricUnit.Count, totals.objects);
    metrics.addMetric(M.bytesReplayed, MetricUnit.Bytes, totals.bytes);
    metrics.addMetric(M.eventsReplayed, MetricUnit.Count, totals.events);
    metrics.addMetric(M.duplicateEvents, MetricUnit.Count, totals.duplicateEvents);
    metrics.addMetric(M.deadLetters, MetricUnit.Count, totals.deadLetters);
  }
  logger.info('batch replayed', { items: request.Items.length, totals });
  return totals;
}

async function redrive(
  request: z.output<typeof RedriveRequest>,
  deps: ReplayHandlerDeps,
  now: () => number,
): Promise<RedriveSummary> {
  const summary = await redriveDeadLetters(
    await deps.client(),
    await deps.store(),
    {
      ...(request.project === undefined ? {} : { project: request.project }),
      ...(request.reason === undefined ? {} : { reason: request.reason }),
    },
    { now, onProgress: (progress) => logger.info('redrive progress', { progress }) },
  );
  metrics.addMetric(M.lettersRedriven, MetricUnit.Count, summary.letters);
  metrics.addMetric(M.eventsReplayed, MetricUnit.Count, summary.events);
  logger.info('dead letters redriven', { summary });
  return summary;
}

/**
 * The replay job's function, called by its state machine (lib/constructs/replay-job.ts) or by
 * hand (`aws lambda invoke`), one action per call:
 * - `plan`: the range's hour prefixes, with the range and options every later state hands on;
 * - `objects`: one item batch of a prefix's listing, loaded (see `replayObjects`);
 * - `sum`: the totals of batches or hours added up;
 * - `redrive`: the dead letters sent back through the loader (functions/replay/redrive.ts).
 * An input that cannot be used fails with `ReplayInputError`, naming every field at fault. Metrics
 * are published only by the invocations that load, so plans and sums publish no empty set.
 */
export function createReplayHandler(deps: ReplayHandlerDeps) {
  const now = deps.now ?? Date.now;
  return middy<unknown, ReplayAnswer>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const request = parseRequest(event);
      switch (request.action) {
        case 'plan': {
          const answer = plan(request, deps, now());
          logger.info('replay planned', { ...answer, prefixes: answer.prefixes.length });
          return answer;
        }
        case 'sum':
          return sumTotals(request.results);
        case 'objects':
          try {
            return await replayObjects(request, deps, now);
          } finally {
            if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
          }
        case 'redrive':
          try {
            return await redrive(request, deps, now);
          } finally {
            if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
          }
      }
    });
}

export const handler = createReplayHandler({
  archive: archiveReader,
  store: loaderStore,
  client: replayClient,
  defaultMaxConcurrency: () => replaySettings().REPLAY_DEFAULT_MAX_CONCURRENCY,
});
