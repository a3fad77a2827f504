import { isMainModule } from '../cli/main-module.js';
import {
  type CapacityAssumptions,
  type CapacityCheck,
  type CapacityFlag,
  checkHeadroom,
  DEFAULT_ASSUMPTIONS,
  type TierReport,
  tierReport,
} from './capacity.js';
import { MEASURED_STORED_BYTES } from './stored-bytes.js';
import { TIER_IDS, TIERS } from './tiers.js';

/**
 * `docs/capacity.md`, rendered from `tierReport` so the document cannot drift from the code:
 *   npx tsx lib/capacity-report.ts > docs/capacity.md
 * A test fails when the file and this output differ.
 */

/** Rounds to what a reader needs: whole numbers from 100, two or three significant digits below. */
export function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '∞';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const options: Intl.NumberFormatOptions =
    abs >= 1 || abs === 0
      ? { maximumFractionDigits: digits }
      : { maximumSignificantDigits: digits, minimumSignificantDigits: 1 };
  return value.toLocaleString('en-US', options);
}

const n = formatNumber;

type Assumption = { readonly what: string; readonly show: (v: number) => string; readonly source: string };

const bytes = (v: number) => `${n(v)} bytes`;
const gib = (v: number) => `${n(v / 1_073_741_824)} GiB`;
const micro = (v: number) => `${n(v * 1e6)} µs`;
const milli = (v: number) => `${n(v * 1e3)} ms`;

/** Every assumption with its source; the type makes a new assumption without one fail to compile. */
const ASSUMPTIONS: Record<keyof CapacityAssumptions, Assumption> = {
  eventBytes: {
    what: 'event size, uncompressed JSON',
    show: bytes,
    source: 'design document (2 KB prompt, 3 KB response, ids, metadata)',
  },
  gzipRatio: {
    what: 'gzip ratio of a request body',
    show: (v) => `${n(v)}:1`,
    source: 'docs/benchmarks.md (measured ~3:1; the design document assumed 5:1)',
  },
  eventsPerRequest: {
    what: 'events per request and per stream record',
    show: n,
    source: "the SDK's default batch; it keeps bodies under ~900 KB",
  },
  headroom: {
    what: 'headroom every part carries over the ceiling',
    show: (v) => `${n(v)}×`,
    source: 'lib/tiers.ts',
  },
  streamConsumers: {
    what: 'consumers reading the whole stream',
    show: n,
    source: 'Firehose and the loader',
  },
  validatorCpuSecPerEvent: {
    what: 'validator CPU per event',
    show: micro,
    source: 'docs/benchmarks.md (~20,000–22,000 events/s per core)',
  },
  clickHouseEventsPerSecPerVcpu: {
    what: 'ClickHouse inserted events/s per vCPU',
    show: n,
    source: 'design document: 25,000 events/s sustained on 16 vCPU with the real schema',
  },
  clickHouseReplicationOverhead: {
    what: 'ClickHouse replication overhead',
    show: (v) => `${n(v * 100)}%`,
    source: 'design document (20–25%; the larger)',
  },
  recordOverheadBytes: {
    what: 'stream record bytes beyond the body',
    show: bytes,
    source: 'measured: header gzip member ~170 bytes, newline member 21',
  },
  partitionKeyBytes: {
    what: 'partition key, counted by Kinesis',
    show: bytes,
    source: 'the request key (functions/shared/contract/stream-record.ts)',
  },
  getRecordsPerSecPerConsumer: {
    what: 'GetRecords calls per shard and consumer',
    show: (v) => `${n(v)}/s`,
    source: 'Lambda and Firehose poll each shard once a second',
  },
  validatorCpuSecPerRequest: {
    what: 'validator CPU per request beyond its events',
    show: milli,
    source: 'estimate: base64 of the ALB body, encoding and SigV4-hashing the ~1.2 MB PutRecords body',
  },
  validatorWaitSecPerRequest: {
    what: 'validator wait per request',
    show: milli,
    source: 'estimate: one PutRecords round trip; it does not shrink with more CPU',
  },
  esmEnvelopeBytesPerRecord: {
    what: 'Kinesis event JSON per record beside its base64 data',
    show: bytes,
    source: 'estimate: ids, sequence number, ARNs',
  },
  loaderCpuSecPerEvent: {
    what: 'loader CPU per event',
    show: micro,
    source:
      'loader benchmark: decode and build the body ~53 µs + gzip of the insert body at level 1 ~88 µs (level 6: ~256 µs)',
  },
  loaderWaitSecPerInvocation: {
    what: 'loader wait per invocation beyond the insert',
    show: milli,
    source: 'estimate: the loaded-keys lookup and round trips',
  },
  loaderInsertHeaderBytesPerEvent: {
    what: "insert body per event beyond the event: the record header's fields",
    show: bytes,
    source:
      "the event's line with the record header's four fields in front (functions/shared/load/core.ts): ~5.7 KB for a 5.3 KB event",
  },
  loaderInsertGzipRatio: {
    what: 'gzip ratio of the insert body on the wire (level 1)',
    show: (v) => `${n(v)}:1`,
    source: 'loader benchmark: ~5,680 bytes an event into ~2,080 at level 1 (level 6: ~1,820)',
  },
  loaderMiBPerEvent: {
    what: 'loader memory per event of a batch',
    show: (v) => `${n(v)} MiB`,
    source: 'loader benchmark: 382 MiB peak at 2,180 events',
  },
  clickHouseBodiesBytesPerRow: {
    what: 'ClickHouse on disk per row: prompt and response',
    show: bytes,
    source: `measured (\`${MEASURED_STORED_BYTES.measuredWith}\`, ${MEASURED_STORED_BYTES.date}): ZSTD(6) on text drawn word by word, ${n(MEASURED_STORED_BYTES.compressionRatio.bodies)}:1`,
  },
  clickHouseMetadataBytesPerRow: {
    what: 'ClickHouse on disk per row: the metadata JSON column',
    show: bytes,
    source: `measured, ${n(MEASURED_STORED_BYTES.compressionRatio.metadata)}:1`,
  },
  clickHouseRestBytesPerRow: {
    what: 'ClickHouse on disk per row: every other column, marks and indexes',
    show: bytes,
    source: `measured: ${n(MEASURED_STORED_BYTES.restBytesPerRow)} bytes of columns + ${n(MEASURED_STORED_BYTES.marksAndIndexesBytesPerRow)} of marks, primary key and bloom filter`,
  },
  clickHouseMinuteRollupBytesPerRow: {
    what: 'ClickHouse on disk per minute-rollup row',
    show: bytes,
    source: 'measured; rows a day are series × 1,440',
  },
  clickHouseHourRollupBytesPerRow: {
    what: 'ClickHouse on disk per hour-rollup row',
    show: bytes,
    source: "measured (its t-digest merges 60 minutes'); rows a day are series × 24",
  },
  clickHouseRollupSeries: {
    what: '(project, model) series with a call every minute',
    show: n,
    source: 'estimate of a large deployment: 500 projects × 4 models',
  },
  clickHouseMergeWriteAmplification: {
    what: 'bytes written per byte inserted (merges)',
    show: (v) => `${n(v)}×`,
    source:
      "ClickHouse's merge selector joins parts at a base of 5: log5(150 GiB largest part ÷ ~5 MiB first part) ≈ 6.4 rewrites, plus the insert",
  },
  clickHouseLargestPartBytes: {
    what: 'largest part a merge makes',
    show: gib,
    source: "`max_bytes_to_merge_at_max_space_in_pool`, ClickHouse's default",
  },
  clickHouseMoveFactor: {
    what: "hot volume's free share the mover keeps",
    show: (v) => `${n(v * 100)}%`,
    source:
      '`DEFAULT_MOVE_FACTOR` (lib/constructs/clickhouse/storage-config.ts): a merge needs free space as large as its new part',
  },
  clickHouseOtherHotBytes: {
    what: 'data volume taken by other tables',
    show: gib,
    source: 'estimate: system log tables under their TTLs, load bookkeeping, dead letters',
  },
  clickHouseObjectsPerPart: {
    what: 'S3 objects per part on the S3 disk',
    show: n,
    source: 'one per file of a wide part of `events`, rounded up',
  },
  clickHouseColdPartBytes: {
    what: 'average part the mover sends to S3',
    show: gib,
    source: 'estimate: most bytes sit in the largest parts',
  },
  clickHouseS3UploadPartBytes: {
    what: 'S3 upload part',
    show: (v) => `${n(v / 1_048_576)} MiB`,
    source: "`s3_min_upload_part_size`, ClickHouse's default",
  },
  clickHouseColdReadSharePerDay: {
    what: "share of the S3 disk's bytes read back a day past its cache",
    show: (v) => `${n(v * 100)}%`,
    source: 'estimate: dashboards read the rollups, which stay on the hot volume',
  },
  clickHouseS3GetBytes: {
    what: 'bytes per GET when reading the S3 disk',
    show: (v) => `${n(v / 1_048_576)} MiB`,
    source: "estimate of ClickHouse's ranged reads",
  },
};

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

function checkRow(check: CapacityCheck): string[] {
  const headroom = `${n(checkHeadroom(check))}×`;
  return [
    check.part,
    check.measure,
    n(check.atCeiling),
    `${n(check.limit)} (${check.limitSource})`,
    check.scalesWithLoad ? headroom : `${headroom}, fixed`,
  ];
}

/** The parts that scale with load and share the least headroom (ties included). */
function tightestParts(report: TierReport): string {
  return report.checks
    .filter((check) => check.scalesWithLoad && checkHeadroom(check) <= report.tightest.headroom + 1e-9)
    .map((check) => `${check.part}, ${check.measure}`)
    .join('; ');
}

const sameFlag = (x: CapacityFlag, y: CapacityFlag) => x.part === y.part && x.message === y.message;

function tierSection(report: TierReport, commonFlags: readonly CapacityFlag[]): string[] {
  const { tier, atCeiling: c } = report;
  const load = report.atLoad.eventsPerSec;
  const own = report.flags.filter((flag) => !commonFlags.some((common) => sameFlag(flag, common)));
  return [
    `## ${tier.name.replace(/^tier/, 'Tier')}`,
    '',
    `Sized for ${n(load)} events/s (the ceiling × ${n(report.assumptions.headroom)}). At the ceiling: ` +
      `${n(c.stream.recordsPerSec)} requests and stream records/s; the validator needs ` +
      `${n(c.validator.concurrencyNeeded)} concurrent executions of ${n(c.validator.durationSec * 1000)} ms; ` +
      `the loader takes ${n(c.loader.recordsPerInvocation)} records (${n(c.loader.eventsPerInvocation)} events) ` +
      `per invocation in ~${n(c.loader.durationSec)} s, ${n(c.loader.insertsPerSec)} inserts/s in all; ` +
      `Firehose writes a ${n(c.firehose.objectMiB)} MiB object every ${n(c.firehose.secondsPerObject)} s; ` +
      `a ClickHouse node stores ${n(c.clickhouse.bytesPerDayPerNode / 1e9)} GB a day; Lambda concurrency in the account: ` +
      `${n(report.account.total)} of 1,000.`,
    '',
    ...table(['part', 'measure', 'at the ceiling', 'limit', 'headroom'], report.checks.map(checkRow)),
    '',
    `Tightest part (${n(report.tightest.headroom)}× headroom over the ceiling): ${tightestParts(report)}.`,
    ...(own.length > 0 ? ['', ...own.map((flag) => `- **${flag.part}**: ${flag.message}`)] : []),
    '',
    ...storageSection(report),
  ];
}

const gb = (bytes: number) => `${n(bytes / 1e9)} GB`;
const tb = (bytes: number) => `${n(bytes / 1e12)} TB`;
const days = (value: number) => `${n(value)} d`;

/** Each volume of a data node under the tier's retention, at the load the tier is sized for. */
function storageSection(report: TierReport): string[] {
  const { tier } = report;
  const r = tier.retention;
  const s = report.atLoad.clickhouse.storage;
  const ch = tier.clickhouse;
  const nodes = ch.shards * ch.replicas;
  const byGroup = s.bytesPerDayByGroup;
  const bands = s.coldBands.map(
    (band) =>
      `${band.rows === 'full' ? 'full rows' : 'rows without bodies'} aged ${days(band.fromDay)}–${days(band.toDay)}: ${gb(band.bytesPerDayPerNode)} a day`,
  );
  return [
    `### Storage at ${n(report.atLoad.eventsPerSec)} events/s, per data node`,
    '',
    `Retention (lib/tiers.ts): rows ${days(r.hotDays)} on the gp3 volume, then ${days(r.warmDays)} on the S3 disk ` +
      `(deleted at ${days(r.hotDays + r.warmDays)}); prompt and response ${days(r.bodiesDays)}; minute rollups ` +
      `${days(r.minuteRollupDays)}, hour rollups ${days(r.hourRollupDays)}; TTL merges at most every ${n(r.ttlMergeTimeoutSec)} s. ` +
      `A node writes ${n(s.rowsPerDayPerNode / 1e6)} million rows a day: bodies ${gb(byGroup.bodies)}, ` +
      `metadata ${gb(byGroup.metadata)}, the rest ${gb(byGroup.rest)} (${n(s.fullRowBytes)} bytes a full row, ` +
      `${n(s.leanRowBytes)} without bodies).`,
    '',
    ...table(
      ['volume', 'holds', 'size'],
      [
        [
          `hot: gp3, ${n(ch.volumeGiB)} GiB`,
          `rows for ${days(s.hotWindowDays)} (${days(r.hotDays)} + a part's span of ${days(s.partSpanDays)}): ${gib(s.hotRowBytes)}; ` +
            `the S3 disk's cache ${gib(s.hotCacheBytes)}; rollups ${gib(s.hotRollupBytes)}; other tables ${gib(s.hotOtherBytes)}`,
          `${gib(s.hotFillBytes)} below the move factor: ${gib(s.hotRowCapacityBytes)} for rows, ${days(s.hotDaysHeld)} of them`,
        ],
        [
          'hot: kept free',
          `merges: the largest writes a new part of ${gib(s.largestMergeBytes)} before it deletes the parts it joins`,
          `${gib(s.mergeFreeBytes)} (move factor ${n(report.assumptions.clickHouseMoveFactor * 100)}%)`,
        ],
        [
          'warm: S3 disk',
          bands.length > 0 ? bands.join('; ') : 'nothing: rows are deleted before they would move',
          `${tb(s.coldBytesHeldPerNode)} per node at steady state, ${tb(s.coldBytesHeldPerCluster)} over ${nodes} node${nodes === 1 ? '' : 's'}; ` +
            `${n(s.s3PutsPerDayPerNode)} PUTs and ${n(s.s3GetsPerDayPerNode)} GETs a day per node`,
        ],
      ],
    ),
    '',
  ];
}

/** The whole of `docs/capacity.md`. */
export function renderCapacityReport(): string {
  const reports = TIER_IDS.map((id) => tierReport(TIERS[id]));
  const [first, ...rest] = reports;
  const commonFlags = (first?.flags ?? []).filter((flag) =>
    rest.every((report) => report.flags.some((other) => sameFlag(flag, other))),
  );
  const a = DEFAULT_ASSUMPTIONS;
  const tier4 = reports[reports.length - 1];
  const lines = [
    '# Capacity: what each tier carries',
    '',
    '<!-- Generated by `npx tsx lib/capacity-report.ts > docs/capacity.md` from lib/capacity.ts and',
    '     lib/tiers.ts; test/lib/capacity.test.ts fails when the two differ. Edit the script, not this file. -->',
    '',
    `Each tier is sized for its ceiling × ${n(a.headroom)}. The tables give every sized part's figure at`,
    'the ceiling against its limit; headroom is the limit ÷ that figure. A part that grows with the load',
    `carries its ceiling with at least ${n(a.headroom)}× (the tests check it at the ceiling × ${n(a.headroom)});`,
    'a fixed limit (of a request, a record, a batch or a setting) only has to hold. The formulas are in',
    '`lib/capacity.ts`, beside each figure.',
    '',
    ...table(
      ['tier', 'sized for (events/s)', 'tightest part', 'headroom over the ceiling'],
      reports.map((report) => [
        String(report.tier.id),
        n(report.atLoad.eventsPerSec),
        tightestParts(report),
        `${n(report.tightest.headroom)}×`,
      ]),
    ),
    '',
    '## Assumptions',
    '',
    ...table(
      ['assumption', 'value', 'where it comes from'],
      (Object.keys(ASSUMPTIONS) as (keyof CapacityAssumptions)[]).map((key) => {
        const entry = ASSUMPTIONS[key];
        return [`${entry.what} (\`${key}\`)`, entry.show(a[key]), entry.source];
      }),
    ),
    '',
    ...reports.flatMap((report) => tierSection(report, commonFlags)),
    '## Every tier',
    '',
    ...commonFlags.map((flag) => `- **${flag.part}**: ${flag.message}`),
    '- **loader**: it gzips its insert bodies at level 1 (~88 µs per event, ~2,080 bytes) rather than',
    "  zlib's default 6 (~256 µs, ~1,820 bytes): the CPU saved outweighs the inter-AZ bytes added;",
    '  sending them uncompressed would add ~3,600 bytes an event for ~88 µs (docs/benchmarks.md).',
    '',
    '## Corrections to the design document',
    '',
    '- **Compression**: it assumes 5:1; gzip on realistic LLM text measures ~3:1, so every compressed',
    '  figure is 5/3 larger: at 50,000 events/s, 7.6 TB a day, not 4.58.',
    '- **Validation CPU**: it assumes 0.5 ms per event; the validator measures ~49 µs. At 250,000',
    '  events/s that is ~12 vCPU, not 20 × c5.2xlarge, and ~30 concurrent validators: tier 4 reserves',
    "  300, not 900 (900 plus the query's 200 cannot be reserved under the default 1,000).",
    '- **Its own arithmetic, tiers 1 and 2**: at its 0.5 ms per event (2,000 events/s per vCPU), tier',
    "  1's t3.medium sustains 20% of 2 vCPU once its CPU credits are spent, 800 events/s, and tier 2's",
    '  2 × c5.large have 4 vCPU, 8,000 events/s (6,000 by its "real world" 12,000 per c5.2xlarge): both',
    "  below their tier's ceiling. The same holds for tier 1's t3.large ClickHouse (30% of 2 vCPU, ~940",
    '  events/s by its per-vCPU figure), which is why tier 1 runs a c5.xlarge.',
    '- **Tier 3 ClickHouse**: it takes a 20% replication overhead off three nodes it describes as a',
    '  sharded cluster; three unreplicated shards carry 75,000 events/s (62,500 needed), and replicating',
    '  them needs six nodes.',
    '- **ClickHouse disks**: it never sizes them. At the measured ~1.77 KB per event on disk, a node',
    `  at tier 3's ceiling stores ${n((reports[2]?.atCeiling.clickhouse.bytesPerDayPerNode ?? 0) / 1e12)} TB a day;`,
    '  keeping prompt and response 90 days does not fit any tier (see the flags above).',
    '- **Prices**: "3 × c5.4xlarge = $1,836/month" is $1,489 at 0.68 $/h × 730 h.',
    '- (The reference\'s "≥ 259 shards by bytes" at 265 MB/s divides by 1.024 MB; by MiB it is 253.)',
    '',
    '## Not modelled',
    '',
    `- **Records per shard, second by second**: a record is ~${n((first?.request.recordBytes ?? 0) / 1_048_576)} MiB, so a`,
    '  shard takes one a second (the "whole records/s" rows). Records land on shards by the hash of',
    `  their keys, so at a shard's ceiling of ${n(tier4?.atCeiling.stream.writeRecordsPerSecPerShard ?? 0)} records/s about`,
    `  ${n(100 * twoOrMore(tier4?.atCeiling.stream.writeRecordsPerSecPerShard ?? 0))}% of seconds bring it two (Poisson)`,
    '  and it throttles one; the validator retries it with backoff (up to 4 attempts) and the SDK',
    '  resends on 429 and 503. If Kinesis averages its limit over more than a second, the MiB/s rows',
    '  apply instead and 22, 106 and 422 shards would carry tiers 2 to 4.',
    "- **Instances' EBS bandwidth**: an instance caps its volumes' throughput at its own baseline EBS",
    '  bandwidth, which is not checked here; merges also read, which the page cache partly absorbs.',
    '- **Queries, ClickHouse memory, Keeper**: the rates above are for inserts alone.',
    '- **Bursts and cold starts**: Lambda scales by 1,000 executions per 10 s per function; every figure is',
    '  a mean over seconds.',
    '- **Firehose objects**: with a stream as its source Firehose has no throughput quota and may read',
    '  shards in parallel, writing more, smaller objects than one buffer at a time.',
    '',
  ];
  return lines.join('\n');
}

/** Poisson: the chance of two or more arrivals in a second at `rate` per second. */
function twoOrMore(rate: number): number {
  return 1 - Math.exp(-rate) * (1 + rate);
}

if (isMainModule(import.meta.url)) process.stdout.write(renderCapacityReport());
