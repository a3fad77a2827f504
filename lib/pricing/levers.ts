/**
 * The levers: what each choice the FinOps review can make saves on a tier, priced on the tier's own
 * inventory at a load against the same inventory and load unchanged. Each lever changes one thing
 * (the load's compression, the inventory's retention sizes, its instance types or loader memory, a
 * discount on compute lines, the stream's capacity mode) and prices month 1 and the steady state,
 * so every saving comes from the same rules as the bill. Pure: no template is re-synthesized.
 */
import { loaderFigures, streamFigures } from '../capacity.js';
import { type BillableResource, sizeNumber, sizeString } from './billable-resource.js';
import type { CostAssumptions } from './cost-assumptions.js';
import { type CostLine, costLine } from './cost-line.js';
import { monthContext, monthlyCost, totalMonthlyUsd } from './cost-model.js';
import { CostModelError } from './cost-model-error.js';
import { CLICKHOUSE_COLD_WORKLOAD } from './cost-tags.js';
import { num, pct, usd } from './format.js';
import { inventory, type TemplateJson } from './inventory.js';
import type { Load } from './load.js';
import {
  BILLING_UNITS,
  BYTES_PER_GB,
  HOURS_PER_MONTH,
  type RegionPrices,
  SECONDS_PER_MONTH,
} from './prices.js';
import { steadyState } from './steady-state.js';

/** The instance families the data nodes can be priced in: c5 is the design's; the others are Graviton. */
export const INSTANCE_FAMILIES = ['c5', 'c7g', 'c8g'] as const;
export type InstanceFamily = (typeof INSTANCE_FAMILIES)[number];

/** The S3 classes the archive's objects may go cold in, by the CLI's name. */
export const ARCHIVE_CLASSES = ['deep-archive', 'glacier-flexible', 'glacier-ir'] as const;
export type ArchiveClass = (typeof ARCHIVE_CLASSES)[number];

/**
 * Each cold class: the archive bucket's size key for its transition day (`lib/pricing/rules/s3.ts`),
 * its name, S3's minimum storage duration (an object deleted sooner is billed the rest) and how long
 * a read of it waits (https://aws.amazon.com/s3/storage-classes/; minimums via
 * shared/reference/aws-prices-and-limits.md).
 */
export const ARCHIVE_CLASS: Readonly<
  Record<
    ArchiveClass,
    {
      readonly afterDaysKey: string;
      readonly name: string;
      readonly minimumDays: number;
      readonly restore: string;
    }
  >
> = {
  'deep-archive': {
    afterDaysKey: 'deepArchiveAfterDays',
    name: 'Glacier Deep Archive',
    minimumDays: 180,
    restore:
      'a restore first, within 12 h (standard) or 48 h (bulk), the wait the design accepts for a rebuild',
  },
  'glacier-flexible': {
    afterDaysKey: 'glacierAfterDays',
    name: 'Glacier Flexible Retrieval',
    minimumDays: 90,
    restore: 'a restore first, 1–5 min (expedited) to 5–12 h (bulk)',
  },
  'glacier-ir': {
    afterDaysKey: 'glacierInstantRetrievalAfterDays',
    name: 'Glacier Instant Retrieval',
    minimumDays: 90,
    restore: 'no restore, read at once, at a higher fee per GB read',
  },
};

/** S3 moves objects to Standard-IA after 30 days at the earliest, and keeps them there 30 days at least. */
export const S3_IA_MINIMUM_DAYS = 30;

/** The raw archive's path through the S3 classes: the days of each transition, and of expiry. */
export interface ArchivePath {
  /** Standard → Standard-IA; `null`: no Standard-IA step. */
  readonly iaDays: number | null;
  /** → `coldClass`; `null`: none (the tier's own archive may have no cold class). */
  readonly coldDays: number | null;
  readonly coldClass: ArchiveClass;
  /** `Infinity`: never. */
  readonly expireDays: number;
}

/**
 * Throws a `CostModelError` naming the flags when `path` breaks S3's rules: Standard-IA after ≥ 30
 * days, the cold transition ≥ 30 days after Standard-IA (its minimum), and expiry no sooner than
 * the cold class's minimum storage duration after the cold transition (the bill has no
 * early-deletion charge, so a path that would incur one is refused rather than under-priced).
 * `changed` says which the lever changed, the path or the expiry: the flag the error names.
 */
export function checkArchivePath(path: ArchivePath, changed: 'path' | 'expiry' = 'path'): void {
  const { iaDays, coldDays, coldClass, expireDays } = path;
  if (iaDays !== null && iaDays < S3_IA_MINIMUM_DAYS) {
    throw new CostModelError(
      `--archive-ia-days must be ≥ ${S3_IA_MINIMUM_DAYS} (S3 moves objects to Standard-IA after 30 days at the earliest), got ${iaDays}`,
    );
  }
  if (coldDays === null) return;
  const cold = ARCHIVE_CLASS[coldClass];
  if (iaDays !== null && coldDays < iaDays + S3_IA_MINIMUM_DAYS) {
    throw new CostModelError(
      `--archive-deep-days must be ≥ ${iaDays + S3_IA_MINIMUM_DAYS}, Standard-IA's day (--archive-ia-days ${iaDays}) + its 30-day minimum, got ${coldDays}`,
    );
  }
  if (expireDays < coldDays + cold.minimumDays) {
    const minimum = `${cold.name}'s ${cold.minimumDays}-day minimum`;
    throw new CostModelError(
      changed === 'expiry'
        ? `--archive-expire-days must be ≥ ${coldDays + cold.minimumDays}: the archive's objects enter ${cold.name} on day ${coldDays} and S3 bills its ${cold.minimumDays}-day minimum, got ${expireDays}`
        : `--archive-deep-days must be ≤ ${expireDays - cold.minimumDays}: ${minimum} must end by the archive's expiry on day ${expireDays} (the archive path keeps the tier's expiry), got ${coldDays}`,
    );
  }
}

/** Each lever's alternative; any left out takes its default (`LEVER_DEFAULTS`). */
export interface LeverOptions {
  /** gzip ratio of the request bodies. */
  readonly compression?: number;
  readonly hotDays?: number;
  readonly warmDays?: number;
  readonly bodiesDays?: number;
  readonly archiveExpireDays?: number;
  /** The archive path: Standard → Standard-IA after these days, or `null` for no Standard-IA step… */
  readonly archiveIaDays?: number | null;
  /** …→ the cold class after these days… */
  readonly archiveColdDays?: number;
  /** …which is this one. */
  readonly archiveClass?: ArchiveClass;
  readonly instanceFamily?: InstanceFamily;
  /** Savings Plans discount rate on EC2 instance hours and Lambda duration, 0–1. */
  readonly commitment?: number;
  readonly loaderMemoryMiB?: number;
}

/**
 * The default alternatives, each an example to compare against, not a recommendation:
 * - compression 5:1: the design document's ratio (3:1 was measured on its sample events);
 * - retention: rows kept 90 days in all (hot days as they are, warm days the rest), bodies 7
 *   days, the archive expired after a year; a tier already under one of them keeps its own;
 * - c7g: Graviton3 at the same size as each c5 (the next size up where c5 has no twin);
 * - a commitment of 0.28: an example rate for a 1-year no-upfront Compute Savings Plan (an input,
 *   not a quote: the rate depends on the term, the payment and the instance family);
 * - the archive straight from Standard to Glacier Deep Archive at 30 days, without the Standard-IA
 *   step (its expiry as it is); any path flag given instead changes the tier's own path;
 * - the loader at half its memory.
 */
export const LEVER_DEFAULTS = {
  compression: 5,
  rowsDays: 90,
  bodiesDays: 7,
  archiveExpireDays: 365,
  archivePath: { iaDays: null, coldDays: 30, coldClass: 'deep-archive' },
  instanceFamily: 'c7g',
  commitment: 0.28,
  loaderMemoryShare: 0.5,
} as const;

/** A lever's figures: the tier as it is, with the lever pulled, and the difference. */
export interface LeverFigures {
  readonly baselineUsd: number;
  readonly alternativeUsd: number;
  /** `baselineUsd − alternativeUsd`: negative when the alternative costs more. */
  readonly savingUsd: number;
}

/** One lever on one tier. */
export interface Lever {
  readonly lever: string;
  /** The alternative, beside the tier's own setting. */
  readonly setting: string;
  /** Why the figure is what it is, and what pulling the lever takes. */
  readonly note: string;
  /** Month 1. */
  readonly monthly: LeverFigures;
  /** Each side at its own steady-state month; `null` when either keeps something forever. */
  readonly steadyState: LeverFigures | null;
}

/** The tier's template, its load and prices, and the alternatives. */
export interface LeversInput {
  readonly template: TemplateJson;
  readonly load: Load;
  readonly prices: RegionPrices;
  readonly options?: LeverOptions;
  readonly assumptions?: Partial<CostAssumptions>;
}

interface Bill {
  readonly monthlyUsd: number;
  readonly steadyStateUsd: number | null;
}

type Transform = (lines: readonly CostLine[], inventory: readonly BillableResource[]) => readonly CostLine[];

const unchanged: Transform = (lines) => lines;

function bill(
  resources: readonly BillableResource[],
  load: Load,
  prices: RegionPrices,
  assumptions: Partial<CostAssumptions>,
  transform: Transform = unchanged,
): Bill {
  const month = (m: number) =>
    totalMonthlyUsd(
      transform(monthlyCost({ inventory: resources, load, prices, month: m, assumptions }), resources),
    );
  const steady = steadyState(resources, load, prices, assumptions);
  return { monthlyUsd: month(1), steadyStateUsd: steady === null ? null : month(steady.month) };
}

function figures(baseline: Bill, alternative: Bill): Pick<Lever, 'monthly' | 'steadyState'> {
  const of = (b: number, a: number): LeverFigures => ({
    baselineUsd: b,
    alternativeUsd: a,
    savingUsd: b - a,
  });
  return {
    monthly: of(baseline.monthlyUsd, alternative.monthlyUsd),
    steadyState:
      baseline.steadyStateUsd === null || alternative.steadyStateUsd === null
        ? null
        : of(baseline.steadyStateUsd, alternative.steadyStateUsd),
  };
}

/** The inventory with `change` applied to the sizes of the resources `which` picks. */
function withSizes(
  resources: readonly BillableResource[],
  which: (r: BillableResource) => boolean,
  change: (r: BillableResource) => Record<string, number | string>,
): BillableResource[] {
  return resources.map((r) => (which(r) ? { ...r, size: { ...r.size, ...change(r) } } : r));
}

const isCold = (r: BillableResource) =>
  r.type === 'AWS::S3::Bucket' && sizeString(r, 'workload') === CLICKHOUSE_COLD_WORKLOAD;
const isArchive = (r: BillableResource) =>
  r.type === 'AWS::S3::Bucket' && sizeString(r, 'workload') === 'archive';
const isLoader = (r: BillableResource) =>
  r.type === 'AWS::Lambda::Function' && sizeString(r, 'workload') === 'loader';

/** The Graviton size for each c5 size: the same size, or the next one up where c5 has no twin (9xlarge). */
const GRAVITON_SIZE: Readonly<Record<string, string>> = {
  large: 'large',
  xlarge: 'xlarge',
  '2xlarge': '2xlarge',
  '4xlarge': '4xlarge',
  '9xlarge': '12xlarge',
};

/** A c5 instance type in `family`: `c5.4xlarge` → `c7g.4xlarge`; other types stay. */
export function instanceTypeIn(type: string, family: InstanceFamily): string {
  const size = /^c5\.(.+)$/.exec(type)?.[1];
  if (size === undefined || family === 'c5') return type;
  const graviton = GRAVITON_SIZE[size];
  if (graviton === undefined) throw new CostModelError(`no ${family} size for ${type}`);
  return `${family}.${graviton}`;
}

/** Lines a Compute Savings Plan covers: EC2 instance hours and Lambda duration (not requests). */
export const isCommitmentCovered = (line: CostLine): boolean =>
  line.unit === 'instance-h' || line.item.startsWith('Lambda duration');

/** The stream's lines (shard-hours, retention, PUT payload units) the on-demand mode replaces. */
const isKinesisLine = (line: CostLine): boolean => line.item.startsWith('Kinesis ');

/**
 * The same traffic in on-demand mode: the stream-hours, each record written rounded up to 1 KB,
 * each record read once per consumer (the loader's event source mappings and Firehose reading
 * the stream), and, for a stream kept beyond 24 h, the GB held past the 24 h (at a steady rate,
 * `retentionHours − 24` hours of what is written, all month). Beyond 7 days (long-term retention)
 * is not priced, as in the provisioned rule.
 */
export function onDemandStreamLines(
  resources: readonly BillableResource[],
  load: Load,
  prices: RegionPrices,
  assumptions: Partial<CostAssumptions> = {},
): CostLine[] {
  const stream = resources.find((r) => r.type === 'AWS::Kinesis::Stream');
  if (stream === undefined) return [];
  const retentionHours = sizeNumber(stream, 'retentionHours', 24);
  if (retentionHours > BILLING_UNITS.kinesisExtendedRetentionMaxHours) {
    throw new CostModelError(
      `${stream.logicalId}: on-demand retention beyond 7 days (long-term retention) is not priced`,
    );
  }
  const context = monthContext({ inventory: resources, load, prices, month: 1, assumptions });
  const s = streamFigures(context.tier, context.capacity);
  const consumers =
    resources.filter((r) => r.type === 'AWS::Lambda::EventSourceMapping').length +
    resources.filter(
      (r) =>
        r.type === 'AWS::KinesisFirehose::DeliveryStream' &&
        sizeString(r, 'source') === 'KinesisStreamAsSource',
    ).length;
  const p = prices.kinesis;
  const writtenBytes = Math.ceil(s.recordBytes / 1_024) * 1_024;
  const lines = [
    costLine(
      stream,
      'Kinesis on-demand stream-hours',
      HOURS_PER_MONTH,
      p.onDemandStreamHour,
      `1 × ${HOURS_PER_MONTH} h`,
    ),
    costLine(
      stream,
      'Kinesis on-demand data in',
      (s.recordsPerSec * writtenBytes * SECONDS_PER_MONTH) / BYTES_PER_GB,
      p.onDemandDataInGb,
      `${num(s.recordsPerSec, 4)} records/s × ceil(${num(s.recordBytes, 0)} B ÷ 1 KB) KB × ${num(SECONDS_PER_MONTH)} s`,
    ),
  ];
  if (consumers > 0) {
    lines.push(
      costLine(
        stream,
        'Kinesis on-demand data out',
        (s.recordsPerSec * s.recordBytes * consumers * SECONDS_PER_MONTH) / BYTES_PER_GB,
        p.onDemandDataOutGb,
        `${num(s.recordsPerSec, 4)} records/s × ${num(s.recordBytes, 0)} B × ${consumers} consumers × ${num(SECONDS_PER_MONTH)} s`,
      ),
    );
  }
  const extendedHours = retentionHours - BILLING_UNITS.kinesisIncludedRetentionHours;
  if (extendedHours > 0) {
    lines.push(
      costLine(
        stream,
        'Kinesis on-demand extended retention',
        (s.recordsPerSec * writtenBytes * extendedHours * 3_600) / BYTES_PER_GB,
        p.onDemandExtendedRetentionGbMonth,
        `${num(s.recordsPerSec, 4)} records/s × ${num(writtenBytes)} B × ${num(extendedHours)} h beyond 24 h × 3,600 s, held all month`,
      ),
    );
  }
  return lines;
}

/** The archive bucket's path as its size carries it (`lib/pricing/inventory.ts`'s lifecycle keys). */
export function archivePathOf(archive: BillableResource): ArchivePath {
  const iaDays = archive.size.infrequentAccessAfterDays;
  // The coldest class the lifecycle names is the one objects end in.
  const coldClass =
    [...ARCHIVE_CLASSES].find((c) => archive.size[ARCHIVE_CLASS[c].afterDaysKey] !== undefined) ??
    LEVER_DEFAULTS.archivePath.coldClass;
  const coldKey = ARCHIVE_CLASS[coldClass].afterDaysKey;
  return {
    iaDays: iaDays === undefined ? null : sizeNumber(archive, 'infrequentAccessAfterDays'),
    coldDays: archive.size[coldKey] === undefined ? null : sizeNumber(archive, coldKey),
    coldClass,
    expireDays: sizeNumber(archive, 'expireAfterDays', Number.POSITIVE_INFINITY),
  };
}

/**
 * The path the archive path lever prices, under the tier's expiry: the flags given over the
 * tier's own path (`from`), or, with none given, the default alternative (`LEVER_DEFAULTS`).
 */
export function archivePathAlternative(from: ArchivePath, options: LeverOptions = {}): ArchivePath {
  const given =
    options.archiveIaDays !== undefined ||
    options.archiveColdDays !== undefined ||
    options.archiveClass !== undefined;
  const base = given ? from : { ...from, ...LEVER_DEFAULTS.archivePath };
  return {
    iaDays: options.archiveIaDays !== undefined ? options.archiveIaDays : base.iaDays,
    coldDays: options.archiveColdDays ?? base.coldDays ?? LEVER_DEFAULTS.archivePath.coldDays,
    coldClass: options.archiveClass ?? base.coldClass,
    expireDays: from.expireDays,
  };
}

/** The lifecycle keys `path` sets on the archive's size, replacing the transitions it had. */
function archivePathSize(size: BillableResource['size'], path: ArchivePath): BillableResource['size'] {
  const transitions = new Set([
    'infrequentAccessAfterDays',
    ...ARCHIVE_CLASSES.map((c) => ARCHIVE_CLASS[c].afterDaysKey),
  ]);
  const kept = Object.fromEntries(Object.entries(size).filter(([key]) => !transitions.has(key)));
  return {
    ...kept,
    ...(path.iaDays !== null && { infrequentAccessAfterDays: path.iaDays }),
    ...(path.coldDays !== null && { [ARCHIVE_CLASS[path.coldClass].afterDaysKey]: path.coldDays }),
  };
}

/** `Standard → Standard-IA at 30 d → Glacier Deep Archive at 90 d → expired at 730 d`. */
export function describeArchivePath(path: ArchivePath): string {
  return [
    'Standard',
    ...(path.iaDays === null ? [] : [`Standard-IA at ${num(path.iaDays)} d`]),
    ...(path.coldDays === null ? [] : [`${ARCHIVE_CLASS[path.coldClass].name} at ${num(path.coldDays)} d`]),
    Number.isFinite(path.expireDays) ? `expired at ${num(path.expireDays)} d` : 'kept',
  ].join(' → ');
}

/** The retention the tier has and the one the lever prices (defaults applied). */
function retentionSettings(resources: readonly BillableResource[], options: LeverOptions) {
  const cold = resources.find(isCold);
  const archive = resources.find(isArchive);
  const from = {
    hotDays: cold && sizeNumber(cold, 'hotDays'),
    warmDays: cold && sizeNumber(cold, 'warmDays'),
    bodiesDays: cold && sizeNumber(cold, 'bodiesDays'),
    archiveExpireDays: archive && sizeNumber(archive, 'expireAfterDays', Number.POSITIVE_INFINITY),
  };
  const hotDays = options.hotDays ?? from.hotDays;
  const defaultWarm =
    hotDays === undefined || from.warmDays === undefined || from.hotDays === undefined
      ? undefined
      : Math.min(from.hotDays + from.warmDays, LEVER_DEFAULTS.rowsDays) - hotDays;
  const warmDays = options.warmDays ?? (defaultWarm === undefined ? undefined : Math.max(0, defaultWarm));
  const rowsDays = hotDays === undefined || warmDays === undefined ? undefined : hotDays + warmDays;
  const bodiesWanted =
    options.bodiesDays ??
    (from.bodiesDays === undefined ? undefined : Math.min(from.bodiesDays, LEVER_DEFAULTS.bodiesDays));
  // Bodies go with their rows: never kept past the rows' delete.
  const bodiesDays =
    bodiesWanted === undefined || rowsDays === undefined ? bodiesWanted : Math.min(bodiesWanted, rowsDays);
  const archiveExpireDays =
    options.archiveExpireDays ??
    (from.archiveExpireDays === undefined
      ? undefined
      : Math.min(from.archiveExpireDays, LEVER_DEFAULTS.archiveExpireDays));
  return { cold, archive, from, to: { hotDays, warmDays, bodiesDays, archiveExpireDays } };
}

const days = (value: number | undefined) =>
  value === undefined ? '–' : Number.isFinite(value) ? `${num(value)} d` : 'never';

/** Every lever's saving on the tier at the load. */
export function levers(input: LeversInput): Lever[] {
  const { template, load, prices, options = {}, assumptions = {} } = input;
  const resources = inventory(template);
  const baseline = bill(resources, load, prices, assumptions);
  const out: Lever[] = [];

  const ratio = options.compression ?? LEVER_DEFAULTS.compression;
  out.push({
    lever: 'compression',
    setting: `gzip ${num(ratio)}:1 (from ${num(load.gzipRatio)}:1)`,
    note:
      'A property of the events, not a setting: 3:1 was measured on sample events, the design document assumes 5:1. ' +
      'Smaller records cut the ALB, stream, Firehose and archive bytes; the SDK compresses, so a better ratio takes a better codec or larger, more repetitive batches.',
    ...figures(baseline, bill(resources, { ...load, gzipRatio: ratio }, prices, assumptions)),
  });

  const r = retentionSettings(resources, options);
  if (r.cold !== undefined || r.archive !== undefined) {
    const { to } = r;
    let changed = withSizes(resources, isCold, () => ({
      ...(to.hotDays !== undefined && { hotDays: to.hotDays }),
      ...(to.warmDays !== undefined && { warmDays: to.warmDays }),
      ...(to.bodiesDays !== undefined && { bodiesDays: to.bodiesDays }),
    }));
    if (to.archiveExpireDays !== undefined && Number.isFinite(to.archiveExpireDays)) {
      // The tier's path must still fit before the earlier expiry.
      if (r.archive !== undefined) {
        checkArchivePath({ ...archivePathOf(r.archive), expireDays: to.archiveExpireDays }, 'expiry');
      }
      changed = withSizes(changed, isArchive, () => ({ expireAfterDays: to.archiveExpireDays as number }));
    }
    const part = (name: string, a: number | undefined, b: number | undefined) =>
      a === b ? `${name} ${days(b)}` : `${name} ${days(b)} (from ${days(a)})`;
    out.push({
      lever: 'retention',
      setting: [
        part('hot', r.from.hotDays, to.hotDays),
        part('warm', r.from.warmDays, to.warmDays),
        part('bodies', r.from.bodiesDays, to.bodiesDays),
        part('archive expiry', r.from.archiveExpireDays, to.archiveExpireDays),
      ].join(', '),
      note:
        "Prices the S3 disk's bands and the archive's classes under the changed retention; the gp3 data volumes stay as sized, so hot days only move rows between them. " +
        'Pulling it is a change to the tier table (lib/tiers.ts `retention`, `archive.lifecycle`) and to what the product promises to keep.',
      ...figures(baseline, bill(changed, load, prices, assumptions)),
    });
  }

  if (r.archive !== undefined) {
    const from = archivePathOf(r.archive);
    const to = archivePathAlternative(from, options);
    checkArchivePath(to);
    const moved = resources.map((res) =>
      isArchive(res) ? { ...res, size: archivePathSize(res.size, to) } : res,
    );
    out.push({
      lever: 'archive path',
      setting: `${describeArchivePath(to)} (from ${describeArchivePath(from)})`,
      note:
        "The raw archive's classes under another path, its expiry as it is (the retention lever prices that): the GB-months each class holds and the transitions into it. " +
        'A colder, earlier class costs less to keep and more to read: Standard-IA and Glacier Instant Retrieval are read at once (Instant Retrieval at a higher fee per GB read), ' +
        'Glacier Flexible Retrieval and Deep Archive only after a restore. ' +
        (to.coldDays === null
          ? ''
          : `Here a replay or rebuild of anything older than ${num(to.coldDays)} days reads ${ARCHIVE_CLASS[to.coldClass].name}: ${ARCHIVE_CLASS[to.coldClass].restore}. `) +
        'S3 bills each class its minimum (Standard-IA 30 days, Glacier 90, Deep Archive 180), so the path must keep an object that long before its next step or expiry (checked). ' +
        'Pulling it is a change to lib/tiers.ts `archive.lifecycle`.',
      ...figures(baseline, bill(moved, load, prices, assumptions)),
    });
  }

  const family = options.instanceFamily ?? LEVER_DEFAULTS.instanceFamily;
  const types = new Map<string, string>();
  const moved = withSizes(
    resources,
    (res) => res.type === 'AWS::EC2::Instance',
    (res) => {
      const type = sizeString(res, 'instanceType') ?? '';
      const to = instanceTypeIn(type, family);
      if (to !== type) types.set(type, to);
      if (prices.ec2[to] === undefined)
        throw new CostModelError(`no price for EC2 instance type ${to} in ${prices.region}`);
      return { instanceType: to };
    },
  );
  out.push({
    lever: 'instance family',
    setting:
      types.size === 0
        ? `${family} (no c5 instance to move)`
        : [...types].map(([a, b]) => `${b} (from ${a})`).join(', '),
    note:
      'A what-if: Graviton runs arm64 only, and the ClickHouse construct launches x86_64 AMIs (Amazon Linux 2023 x86_64), so it takes arm64 AMIs in the construct first. ' +
      'c5.9xlarge has no same-size twin: the next size up (12xlarge, 48 vCPU rather than 36) costs more. ' +
      'The sizing keeps the events/s per vCPU measured on c5 (a Graviton vCPU is a physical core, a c5 vCPU a hyperthread): a benchmark on Graviton should confirm it. c5 stays the default the design asks for.',
    ...figures(baseline, bill(moved, load, prices, assumptions)),
  });

  const rate = options.commitment ?? LEVER_DEFAULTS.commitment;
  const discounted: Transform = (lines) =>
    lines.map((line) =>
      isCommitmentCovered(line) ? { ...line, monthlyUsd: line.monthlyUsd * (1 - rate) } : line,
    );
  out.push({
    lever: 'commitment',
    setting: `${pct(rate)} off EC2 instance hours and Lambda duration`,
    note:
      'A Compute Savings Plan, as a discount rate: an input, not a quote (0.28 is an example for a 1-year term). ' +
      'It covers the instance hours and Lambda duration the plan commits to, for its term, whatever the load; EBS, requests and data are not discounted.',
    ...figures(baseline, bill(resources, load, prices, assumptions, discounted)),
  });

  const stream = resources.find((res) => res.type === 'AWS::Kinesis::Stream');
  if (stream !== undefined) {
    const retentionHours = sizeNumber(stream, 'retentionHours', 24);
    const retained =
      retentionHours > BILLING_UNITS.kinesisIncludedRetentionHours
        ? `, ${num(retentionHours)} h retention`
        : '';
    const onDemand: Transform = (lines, inv) => [
      ...lines.filter((line) => !isKinesisLine(line)),
      ...onDemandStreamLines(inv, load, prices, assumptions),
    ];
    const kinesis = figures(baseline, bill(resources, load, prices, assumptions, onDemand));
    const by = -kinesis.monthly.savingUsd;
    out.push({
      lever: 'Kinesis on-demand',
      setting: `on-demand (from provisioned shards${retained}): ${by >= 0 ? `provisioned wins by ${usd(by)}` : `on-demand is cheaper by ${usd(-by)}`} a month`,
      note:
        'Provisioned wins at a steady, sized load: on-demand bills every GB written ($0.08, records rounded up to 1 KB) and every GB each consumer reads ($0.04), ' +
        'where a provisioned shard-hour ($0.015) carries up to 1 MiB/s in and 2 MiB/s out. ' +
        'A stream kept beyond 24 h widens the gap: on-demand bills each GB held past the 24 h ($0.10 per GB-month), provisioned a flat $0.02 per shard-hour. ' +
        'On-demand pays only where traffic is too spiky or unknown to size shards for.',
      ...kinesis,
    });
  }

  const loader = resources.find(isLoader);
  if (loader !== undefined) {
    const fromMiB = sizeNumber(loader, 'memoryMiB');
    const toMiB =
      options.loaderMemoryMiB ?? Math.max(128, Math.round(fromMiB * LEVER_DEFAULTS.loaderMemoryShare));
    const changed = withSizes(resources, isLoader, () => ({ memoryMiB: toMiB }));
    const context = monthContext({ inventory: changed, load, prices, month: 1, assumptions });
    const figuresAt = loaderFigures(context.tier, context.capacity);
    const needed = figuresAt.memoryMiBNeeded;
    const behind = figuresAt.busyBatchesPerShard > context.tier.loader.parallelizationFactor;
    out.push({
      lever: 'loader memory',
      setting: `${num(toMiB)} MiB (from ${num(fromMiB)} MiB)`,
      note:
        `Memory buys CPU share: less of it makes each batch run longer (capacity's loader duration), so GB-seconds fall less than the memory does.` +
        (toMiB < needed ? ` Below the ${num(needed, 0)} MiB a batch needs: not viable as it is.` : '') +
        (behind
          ? ' At this memory a batch runs longer than the shard fills one: the loader falls behind.'
          : ''),
      ...figures(baseline, bill(changed, load, prices, assumptions)),
    });
  }
  return out;
}
