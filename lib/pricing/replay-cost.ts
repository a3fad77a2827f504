/**
 * What replaying the raw archive costs, per TB of archive (stored, compressed bytes): the replay
 * job (lib/constructs/replay-job.ts) lists a range's hour partitions, reads each object, restores
 * those in Deep Archive first, and loads the events through the loader's core with every event
 * looked up (`verifyEvents`). Pure: a tier's slice and a price table in, lines out.
 *
 * The ClickHouse work runs on the tier's existing nodes and adds no line: a replay takes their
 * spare insert rate (its rate cap, `defaultMaxConcurrentBatches`), as live loading does. Not
 * counted, each a few cents at most: the execution and function logs, the replay's custom metrics
 * while they are published, and the lookback hour a replay lists before its range.
 */
import {
  CAPACITY_ASSUMPTIONS,
  clickHouseFigures,
  lambdaCpuShare,
  loaderInsertWireBytesPerEvent,
} from '../capacity.js';
import { SIZING_ASSUMPTIONS, type TierId, type TierSpec } from '../tiers.js';
import { num, usd } from './format.js';
import { BYTES_PER_GB, DAYS_PER_MONTH, type Price, type RegionPrices } from './prices.js';

const MIB = 1_048_576;

/** What the figures rest on, beside the sizing and capacity assumptions. */
export interface ReplayCostAssumptions {
  /**
   * The amount replayed: 1 TB (decimal) of archive objects as stored. Every object is taken to be
   * a full Firehose buffer (`bufferSizeMiB`), as at the tier's ceiling; below `bufferSizeMiB ÷
   * bufferIntervalSec` of ingest, objects are smaller and their requests more.
   */
  readonly archiveBytes: number;
  /** Bytes a second one GET streams into the function (estimate; a single S3 stream gives 50–100 MB/s). */
  readonly s3ReadBytesPerSec: number;
  /**
   * Records the replay hands `loadBatch` at once: functions/replay/handler.ts's
   * `REPLAY_LOAD_RECORDS` (8 records of 500 events, ~720 MiB at the loader's 0.18 MiB an event).
   */
  readonly recordsPerLoad: number;
  /**
   * The extra look-up `verifyEvents` makes: one SELECT of the load's events by project, minute
   * and ids on the sort key, per load, a round trip like the loader's loaded-keys lookup
   * (`loaderWaitSecPerInvocation`). The stream's own loads skip it for requests not seen before.
   */
  readonly lookupSecPerLoad: number;
  /**
   * Days a restored Deep Archive copy stays readable, billed at S3 Standard's rate beside the
   * archived object: functions/replay/handler.ts's `RESTORE_DAYS`.
   */
  readonly restoredCopyDays: number;
  /**
   * State transitions (each state entered, a child execution's start counted as one): 2 a batch
   * (its child execution, LoadObjects), 3 an hour (its child, Objects, SumHour), 3 a replay
   * (Plan, Hours, Sum). Retries add one each and are not counted.
   */
  readonly transitionsPerBatch: number;
  readonly transitionsPerHour: number;
  readonly transitionsPerReplay: number;
}

export const REPLAY_COST_ASSUMPTIONS: ReplayCostAssumptions = {
  archiveBytes: 1e12,
  s3ReadBytesPerSec: 90e6,
  recordsPerLoad: 8,
  lookupSecPerLoad: CAPACITY_ASSUMPTIONS.loaderWaitSecPerInvocation,
  restoredCopyDays: 7,
  transitionsPerBatch: 2,
  transitionsPerHour: 3,
  transitionsPerReplay: 3,
};

/** Where the replayed TB sits in the archive's lifecycle, which decides its retrieval. */
export const ARCHIVE_CASES = [
  'standard',
  'standard-ia',
  'deep-archive-bulk',
  'deep-archive-standard',
] as const;
export type ArchiveCase = (typeof ARCHIVE_CASES)[number];

/** One line of a replay's bill: every case's (`all`) or one case's. */
export interface ReplayCostLine {
  readonly item: string;
  readonly formula: string;
  readonly usd: number;
  readonly applies: 'all' | ArchiveCase;
}

export interface ReplayCost {
  readonly tier: TierId;
  readonly archiveBytes: number;
  readonly objectBytes: number;
  readonly objects: number;
  readonly events: number;
  /** Stream records (requests of `eventsPerRequest` events). */
  readonly records: number;
  readonly batches: number;
  /** Hour partitions the bytes span at the tier's ceiling, at least 1. */
  readonly hours: number;
  /** One batch's function time, against its timeout. */
  readonly batchSec: number;
  readonly invocations: number;
  readonly lambdaGbSeconds: number;
  readonly transitions: number;
  readonly lines: readonly ReplayCostLine[];
  /** The sum of the lines that apply, for each place the TB may sit. */
  readonly totals: Readonly<Record<ArchiveCase, number>>;
}

/** Archive objects in `bytes`: full buffers of `bufferSizeMiB`. */
export function objectsIn(bytes: number, bufferSizeMiB: number): number {
  return Math.ceil(bytes / (bufferSizeMiB * MIB));
}

/** Events in `bytes` of archive: bytes × gzip ratio ÷ event size (the records' header lines left out). */
export function eventsIn(bytes: number, gzipRatio: number, eventBytes: number): number {
  return (bytes * gzipRatio) / eventBytes;
}

/** Hour partitions `bytes` of archive span when written at `eventsPerSec`: at least 1. */
export function hoursIn(bytes: number, eventsPerSec: number, eventBytes: number, gzipRatio: number): number {
  return Math.max(1, Math.ceil(bytes / (((eventsPerSec * eventBytes) / gzipRatio) * 3_600)));
}

/**
 * Function seconds to load `objects` objects of `objectBytes`: reading them, then per event the
 * loader's CPU (at the function's share of a vCPU) and ClickHouse taking the insert at one vCPU's
 * share of its node (lib/capacity.ts's loader duration), and one look-up per load.
 */
export function loadSeconds(
  objects: number,
  objectBytes: number,
  memoryMiB: number,
  a: ReplayCostAssumptions = REPLAY_COST_ASSUMPTIONS,
): number {
  const s = SIZING_ASSUMPTIONS;
  const events = eventsIn(objects * objectBytes, s.gzipRatio, s.eventBytes);
  const loads = Math.ceil(events / s.eventsPerRequest / a.recordsPerLoad);
  const perEvent =
    CAPACITY_ASSUMPTIONS.loaderCpuSecPerEvent / lambdaCpuShare(memoryMiB) +
    1 / s.clickHouseEventsPerSecPerVcpu;
  return (objects * objectBytes) / a.s3ReadBytesPerSec + events * perEvent + loads * a.lookupSecPerLoad;
}

const line = (
  item: string,
  quantity: number,
  price: Price,
  formula: string,
  applies: ReplayCostLine['applies'] = 'all',
): ReplayCostLine => ({
  item,
  formula: `${formula} × $${price.usd} per ${price.unit}`,
  usd: quantity * price.usd,
  applies,
});

/** What replaying `archiveBytes` (1 TB) of a tier's archive costs, line by line. */
export function replayCost(
  tier: TierSpec,
  prices: RegionPrices,
  a: ReplayCostAssumptions = REPLAY_COST_ASSUMPTIONS,
): ReplayCost {
  const s = SIZING_ASSUMPTIONS;
  const { replay } = tier;
  const bytes = a.archiveBytes;
  const gb = bytes / BYTES_PER_GB;
  const objectBytes = tier.archive.bufferSizeMiB * MIB;
  const objects = objectsIn(bytes, tier.archive.bufferSizeMiB);
  const events = eventsIn(bytes, s.gzipRatio, s.eventBytes);
  const records = events / s.eventsPerRequest;
  const batches = Math.ceil(objects / replay.objectsPerBatch);
  const hours = hoursIn(bytes, tier.ceilingEventsPerSec, s.eventBytes, s.gzipRatio);
  const memoryGb = replay.memoryMiB / 1_024;
  const lambdaSeconds = loadSeconds(objects, objectBytes, replay.memoryMiB, a);
  const lambdaGbSeconds = lambdaSeconds * memoryGb;
  // A batch, the hour's sum, the plan and the replay's sum.
  const invocations = batches + hours + 2;
  const transitions = batches * a.transitionsPerBatch + hours * a.transitionsPerHour + a.transitionsPerReplay;
  const listCalls = Math.ceil(objects / 1_000) + hours;
  const zones = tier.network.maxAzs;
  const wire = loaderInsertWireBytesPerEvent();
  const insertGb = (events * wire * ((zones - 1) / zones)) / BYTES_PER_GB;
  const { replicas } = tier.clickhouse;
  const fetchedGb = (events * (replicas - 1) * clickHouseFigures(tier).bytesPerEvent) / BYTES_PER_GB;
  const p = prices.s3;
  const copyGbMonths = (gb * a.restoredCopyDays) / DAYS_PER_MONTH;

  const lines: ReplayCostLine[] = [
    line(
      'S3 LIST',
      listCalls / 1_000,
      p.putPerThousand,
      `(${num(objects)} objects ÷ 1,000 + ${num(hours)} hour(s)) calls`,
    ),
    line(
      'Lambda GB-seconds',
      lambdaGbSeconds,
      prices.lambda.gbSecondArm64,
      `${num(lambdaSeconds, 0)} s (read at ${num(a.s3ReadBytesPerSec / 1e6)} MB/s; ${num(events, 0)} events × (${num(CAPACITY_ASSUMPTIONS.loaderCpuSecPerEvent * 1e6)} µs CPU + ${num(1e6 / s.clickHouseEventsPerSecPerVcpu)} µs insert); ${num(Math.ceil(records / a.recordsPerLoad))} verifyEvents look-ups × ${num(a.lookupSecPerLoad)} s) × ${num(memoryGb)} GB`,
    ),
    line(
      'Lambda requests',
      invocations / 1e6,
      prices.lambda.requestsPerMillion,
      `(${num(batches)} batches of ${replay.objectsPerBatch} + ${num(hours)} hour sums + plan + sum) ÷ 1M`,
    ),
    line(
      'Step Functions transitions',
      transitions / 1_000,
      prices.stepFunctions.standardTransitionsPerThousand,
      `(${num(batches)} batches × ${a.transitionsPerBatch} + ${num(hours)} hour(s) × ${a.transitionsPerHour} + ${a.transitionsPerReplay}) ÷ 1,000`,
    ),
    line(
      'Inter-AZ: inserts',
      insertGb * 2,
      prices.dataTransfer.interAzGb,
      `${num(events, 0)} events × ${num(wire, 0)} gzip bytes × ${zones - 1}/${zones} from other zones × 2 sides`,
    ),
    ...(replicas > 1
      ? [
          line(
            'Inter-AZ: replica fetches',
            fetchedGb * 2,
            prices.dataTransfer.interAzGb,
            `${num(events, 0)} events × ${replicas - 1} other replica(s) × ${num(clickHouseFigures(tier).bytesPerEvent, 0)} stored bytes × 2 sides`,
          ),
        ]
      : []),
    line('S3 GET (Standard)', objects / 1_000, p.getPerThousand, `${num(objects)} GETs ÷ 1,000`, 'standard'),
    line(
      'S3 GET (Standard-IA)',
      objects / 1_000,
      p.standardIaGetPerThousand,
      `${num(objects)} GETs ÷ 1,000`,
      'standard-ia',
    ),
    line('Standard-IA retrieval', gb, p.standardIaRetrievalGb, `${num(gb)} GB`, 'standard-ia'),
  ];
  for (const [tierName, applies, perGb, perThousand] of [
    [
      'bulk, within 48 h',
      'deep-archive-bulk',
      p.deepArchiveRestoreBulkGb,
      p.deepArchiveRestoreBulkPerThousand,
    ],
    [
      'standard, within 12 h',
      'deep-archive-standard',
      p.deepArchiveRestoreStandardGb,
      p.deepArchiveRestoreStandardPerThousand,
    ],
  ] as const) {
    lines.push(
      line(`Deep Archive restore (${tierName}): GB`, gb, perGb, `${num(gb)} GB`, applies),
      line(
        `Deep Archive restore (${tierName}): requests`,
        objects / 1_000,
        perThousand,
        `${num(objects)} ÷ 1,000`,
        applies,
      ),
      line(
        `Deep Archive restore (${tierName}): the restored copy`,
        copyGbMonths,
        p.standardGbMonthFirst50Tb,
        `${num(gb)} GB × ${a.restoredCopyDays} days ÷ ${num(DAYS_PER_MONTH)}`,
        applies,
      ),
      line(
        `Deep Archive restore (${tierName}): the restoreOnly pass's transitions`,
        transitions / 1_000,
        prices.stepFunctions.standardTransitionsPerThousand,
        `${num(transitions)} (the same states once more) ÷ 1,000`,
        applies,
      ),
      line(
        `Deep Archive restore (${tierName}): HEAD + GET`,
        (2 * objects) / 1_000,
        p.getPerThousand,
        `2 × ${num(objects)} ÷ 1,000`,
        applies,
      ),
    );
  }
  const totals = Object.fromEntries(
    ARCHIVE_CASES.map((c) => [
      c,
      lines.filter((l) => l.applies === 'all' || l.applies === c).reduce((sum, l) => sum + l.usd, 0),
    ]),
  ) as Record<ArchiveCase, number>;
  return {
    tier: tier.id,
    archiveBytes: bytes,
    objectBytes,
    objects,
    events,
    records,
    batches,
    hours,
    batchSec: loadSeconds(replay.objectsPerBatch, objectBytes, replay.memoryMiB, a),
    invocations,
    lambdaGbSeconds,
    transitions,
    lines,
    totals,
  };
}

const CASE_LABELS: Readonly<Record<ArchiveCase, string>> = {
  standard: 'in Standard (younger than the Standard-IA transition)',
  'standard-ia': 'in Standard-IA (from the IA transition to Deep Archive)',
  'deep-archive-bulk': 'in Deep Archive, bulk restore (within 48 h)',
  'deep-archive-standard': 'in Deep Archive, standard restore (within 12 h)',
};

/** The replay costs as `npm run cost` prints them, one block per tier. */
export function renderReplayCosts(costs: readonly ReplayCost[]): string {
  const out: string[] = [
    '',
    'replay of 1 TB of the raw archive (stored, compressed bytes), by where it sits:',
  ];
  for (const c of costs) {
    out.push(
      `  tier ${c.tier}: ${num(c.objects)} objects of ${num(c.objectBytes / MIB)} MiB, ${num(c.events / 1e6, 0)}M events, ` +
        `${num(c.batches)} batches (~${num(c.batchSec, 0)} s each), ${num(c.hours)} hour(s) at the ceiling`,
    );
    for (const l of c.lines) {
      const where = l.applies === 'all' ? '' : ` [${l.applies}]`;
      out.push(`    ${usd(l.usd).padStart(9)}  ${l.item}${where} = ${l.formula}`);
    }
    for (const k of ARCHIVE_CASES) out.push(`    total ${CASE_LABELS[k]}: ${usd(c.totals[k])}`);
  }
  out.push(
    '  The ClickHouse work runs on the tier’s existing nodes (no line): the rate cap leaves live ingest its share.',
    '',
  );
  return out.join('\n');
}
