/**
 * THE sizing table: the four tiers of the design document (`scaling-analysis.md`) as typed data.
 * Stacks pass each construct its slice; constructs never read `TIERS` (a slice's type is fine).
 * Every number carries its unit in its name. Where a figure departs from the design document, the
 * reason is beside it; `lib/capacity.ts` computes what each sized part carries, and its tests hold
 * every tier to its ceiling with headroom and to AWS's limits.
 */

export type TierId = 1 | 2 | 3 | 4;

/** What the sizes are computed for: the event and the way clients send it. */
export const SIZING_ASSUMPTIONS = {
  /** The design document's average event (5.3 KB: 2 KB prompt, 3 KB response, ids, metadata). */
  eventBytes: 5_300,
  /**
   * gzip on realistic LLM text: measured ~3:1 (docs/benchmarks.md), not the design document's 5:1.
   * Stream records carry the client's gzip body, so this is the ratio on the stream and archive.
   */
  gzipRatio: 3,
  /** Events per request and so per stream record: the SDK's default batch. */
  eventsPerRequest: 500,
  /** Every sized part carries its tier's ceiling times this. */
  headroom: 1.25,
  /** Consumers reading the whole stream: Firehose and the loader. */
  streamConsumers: 2,
  /**
   * Validator CPU per event (inflate, parse, contract), measured: ~45 µs on one vCPU, and ~8% more
   * since the contract was closed at both ends (the text scan and the store's metadata model).
   */
  validatorCpuSecPerEvent: 0.000_049,
  /**
   * ClickHouse insert rate per vCPU: the design document's 25,000 events/s sustained on a
   * c5.4xlarge (16 vCPU) with the real schema, i.e. 1,562.5 events/s per vCPU.
   */
  clickHouseEventsPerSecPerVcpu: 25_000 / 16,
  /** The design document's replication overhead for replicated ClickHouse (20–25%): the larger. */
  clickHouseReplicationOverhead: 0.25,
} as const;

export type StreamSpec =
  | {
      readonly mode: 'provisioned';
      readonly shardCount: number;
      readonly retentionHours: number;
    }
  | {
      readonly mode: 'on-demand';
      readonly retentionHours: number;
      /** Why on-demand rather than shards: on-demand costs more per GB. */
      readonly reason: string;
    };

/**
 * The raw archive's path: Standard → Standard-IA → S3 Glacier Deep Archive → expiry. The archive
 * is the full record (every event as sent), read only to rebuild or replay, so its cold class is
 * the cheapest one whose restore (up to 48 hours) a rebuild can wait for.
 */
export interface LifecycleSpec {
  /** Standard → Standard-IA (S3 requires ≥ 30). */
  readonly infrequentAccessAfterDays: number;
  /** → S3 Glacier Deep Archive (≥ 30 days after Standard-IA, whose minimum is 30 days). */
  readonly deepArchiveAfterDays: number;
  /** Objects are deleted after this many days (≥ 180 after Deep Archive, its minimum). */
  readonly expireAfterDays: number;
}

/**
 * How long ClickHouse keeps what (`clickhouse/retention.ts` renders it into table TTLs): rows on
 * the hot volume (the node's gp3 disk), then on the warm volume (the S3 disk), then gone; bodies
 * and rollups by their own TTLs. The raw archive keeps every event beyond all of them.
 */
export interface RetentionSpec {
  /** Days a row's part stays on the gp3 data volume before it moves to the S3 disk. */
  readonly hotDays: number;
  /** Days a row then stays on the S3 disk, still queryable; rows are deleted at `hotDays + warmDays`. */
  readonly warmDays: number;
  /** Days prompt and response stay in ClickHouse (≤ `hotDays + warmDays`); the archive keeps them after. */
  readonly bodiesDays: number;
  /** Days the per-minute rollup (`events_minute`) keeps a minute: the dashboards' fine windows. */
  readonly minuteRollupDays: number;
  /** Days the per-hour rollup (`events_hour`) keeps an hour: the dashboards' long windows. */
  readonly hourRollupDays: number;
  /**
   * Seconds between TTL merges of one `events` partition, which empty expired bodies; each
   * rewrites at most a largest part, so the rate decides how many a day keep up with the rows.
   */
  readonly ttlMergeTimeoutSec: number;
  /** Why each value is what it is. */
  readonly why: {
    readonly [K in
      | 'hotDays'
      | 'warmDays'
      | 'bodiesDays'
      | 'minuteRollupDays'
      | 'hourRollupDays'
      | 'ttlMergeTimeoutSec']: string;
  };
}

export interface FunctionSpec {
  readonly memoryMiB: number;
  readonly timeoutSec: number;
}

/**
 * A ClickHouse cluster's shape and disks: the props the ClickHouse construct is sized by
 * (`ClickHouseClusterProps` extends this type; it never reads `TIERS`).
 */
export interface ClickHouseSpec {
  /** Data node instance type; x86_64 (the AMI is Amazon Linux 2023 x86_64), e.g. `c5.4xlarge`. */
  readonly instanceType: string;
  /** Shards, each a `Distributed` slice by `cityHash64(project_id)`; ≥ 1. */
  readonly shards: number;
  /** Replicas per shard; ≥ 1, and > 1 needs Keeper. */
  readonly replicas: number;
  /** ClickHouse Keeper nodes on their own instances: 0 (one data node, plain tables) or an odd number (3 for a quorum). */
  readonly keeperNodes: number;
  /** Keeper instance type; x86_64. */
  readonly keeperInstanceType: string;
  /** Each data node's gp3 data volume, GiB (1–65,536). */
  readonly volumeGiB: number;
  /** Its throughput, MiB/s (125–2,000, at most 0.25 per provisioned IOPS). */
  readonly volumeThroughputMiBps: number;
  /** Its IOPS (3,000–80,000, at most 500 per GiB). */
  readonly volumeIops: number;
  /**
   * The S3 disk's local cache on the data volume, GiB: parts read from the warm volume are kept
   * here, so a dashboard's second look at last week does not go to S3 again.
   */
  readonly coldCacheGiB: number;
}

/**
 * AWS WAF's limits at the edge, per 5-minute window (WAF's default evaluation window; a rate-based
 * rule's limit is at least 10). WAF counts requests, not events: a request is a batch of up to
 * `SIZING_ASSUMPTIONS.eventsPerRequest` events, but a client with little traffic sends its partial
 * batch every `flushIntervalMs` (1 s in the SDK), so every limit leaves room for partial batches.
 */
export interface WafLimitsSpec {
  /** Requests in 5 minutes per `Authorization` header value: what one API key may send. */
  readonly perKeyRequestsPer5Min: number;
  /** Requests in 5 minutes per client IP, among those without a `Bearer efk_…` key. */
  readonly perIpRequestsPer5Min: number;
  /**
   * Requests in 5 minutes per client IP, whatever their key: each `Authorization` value has its
   * own per-key counter, so a flood inventing a new `Bearer efk_…` value per request passes both
   * rules above; this one stops it.
   */
  readonly perAddressRequestsPer5Min: number;
  /** The `Retry-After` of WAF's 429 answer, seconds. */
  readonly retryAfterSec: number;
  /** Why each value is what it is. */
  readonly why: {
    readonly [K in
      | 'perKeyRequestsPer5Min'
      | 'perIpRequestsPer5Min'
      | 'perAddressRequestsPer5Min'
      | 'retryAfterSec']: string;
  };
}

/**
 * How a tier spans regions: the transit stream and forwarder that carry events accepted in one
 * region to their project's home region (lib/constructs/cross-region-forwarder.ts).
 */
export interface CrossRegionSpec {
  /**
   * The rule each region is sized by, in words: the tier's other figures are one region's.
   */
  readonly sizingRule: string;
  /**
   * The transit stream: on-demand, as its load is a trickle in normal operation (the share of
   * events accepted outside their home region) and a surge when a home region is down, when its
   * events wait here, up to the retention, for the region to come back.
   */
  readonly transit: { readonly retentionHours: number };
  /** The forwarder: transit stream → the home region's event stream. */
  readonly forwarder: FunctionSpec & {
    /** Records per invocation, 1–10,000. */
    readonly batchSize: number;
    /** Concurrent batches per shard, 1–10. */
    readonly parallelizationFactor: number;
    /** -1: until the record's age passes `maxRecordAgeSec`. */
    readonly maxRetryAttempts: number;
    readonly maxRecordAgeSec: number;
  };
}

export interface TierSpec {
  readonly id: TierId;
  readonly name: string;
  /**
   * The regions the tier deploys a regional pipeline to, the primary first (its stack keeps the
   * name `EvalForge`). A one-region list is the default region of a single-region tier: it
   * deploys wherever `-c region` or the CLI's environment says.
   */
  readonly regions: readonly string[];
  /**
   * How events cross regions, in a tier of more than one region.
   * @default - none: a single-region tier
   */
  readonly crossRegion?: CrossRegionSpec;
  /** The band the tier is for, in events/s. */
  readonly floorEventsPerSec: number;
  readonly ceilingEventsPerSec: number;
  readonly network: {
    /** Availability zones, 2–3. */
    readonly maxAzs: number;
    /** NAT gateways: one is cheaper, one per AZ survives an AZ outage. */
    readonly natGateways: number;
  };
  readonly ingest: {
    /** Internet-facing ALBs, each behind one weighted Route 53 record. */
    readonly albCount: number;
    /** Route 53 weights, one per ALB (0–255). */
    readonly albWeights: readonly number[];
    readonly validator: FunctionSpec & {
      /** Concurrent validators at most; beyond it the ALB answers 503 and clients retry. */
      readonly reservedConcurrency: number;
    };
    /** AWS WAF's rate limits on every load balancer. */
    readonly waf: WafLimitsSpec;
  };
  readonly stream: StreamSpec;
  readonly archive: {
    /** Firehose buffering hints: 1–128 MiB, 0–900 s. */
    readonly bufferSizeMiB: number;
    readonly bufferIntervalSec: number;
    readonly lifecycle: LifecycleSpec;
  };
  readonly loader: FunctionSpec & {
    /** Records per invocation (≤ 10,000; the 6 MB payload usually binds first). */
    readonly batchSize: number;
    readonly maxBatchingWindowSec: number;
    /** Concurrent batches per shard, 1–10. */
    readonly parallelizationFactor: number;
    /** -1: until the record's age passes `maxRecordAgeSec`. */
    readonly maxRetryAttempts: number;
    readonly maxRecordAgeSec: number;
  };
  readonly query: FunctionSpec & { readonly reservedConcurrency: number };
  /** The replay job (lib/constructs/replay-job.ts): the raw archive loaded back into ClickHouse. */
  readonly replay: FunctionSpec & {
    /** Archive objects one invocation loads: a batch must finish well inside `timeoutSec`. */
    readonly objectsPerBatch: number;
    /** Invocations loading at once when a replay names no `maxConcurrency`: its default rate cap. */
    readonly defaultMaxConcurrentBatches: number;
  };
  readonly retention: RetentionSpec;
  readonly clickhouse: ClickHouseSpec & {
    /** The data node instance type's vCPUs and memory, for the capacity and cost models. */
    readonly vcpus: number;
    readonly memoryGiB: number;
  };
}

const DAY_SEC = 86_400;

/** A single-region tier's region when neither `-c region` nor the CLI's environment names one. */
export const SINGLE_REGION_DEFAULT = 'us-east-1';

/**
 * The replay function in every tier: 2,048 MiB holds an archive object as stored (up to 128 MiB),
 * inflated (~3×) and one load of `REPLAY_LOAD_RECORDS` records (8 × 500 events × the loader's
 * 0.18 MiB an event ≈ 720 MiB), and buys a whole vCPU. At ~60 s a 128 MiB object (its ~72,000
 * events at the loader's CPU per event plus ClickHouse taking them at one vCPU's share of a node,
 * as lib/capacity.ts's loader duration counts them), 4 objects are ~4 minutes of the 15.
 */
const REPLAY_FUNCTION = { memoryMiB: 2_048, timeoutSec: 900 } as const;

/**
 * Every tier's archive: 30 days in Standard (replays of the last weeks read it at once), 60 in
 * Standard-IA, then S3 Glacier Deep Archive until two years: at $0.00099 per GB-month rather than
 * Glacier Flexible Retrieval's $0.0036, it is what keeps two years of tier 4's ~38 TB a day
 * bounded; a rebuild from it waits up to 48 hours for the restore.
 */
const ARCHIVE_LIFECYCLE: LifecycleSpec = {
  infrequentAccessAfterDays: 30,
  deepArchiveAfterDays: 90,
  expireAfterDays: 730,
};

/**
 * The least one key may send in any tier: 10 SDK processes sharing a key, each sending its partial
 * batch once a second (the SDK's `flushIntervalMs`), are 3,000 requests in 5 minutes.
 */
export const WAF_PER_KEY_FLOOR = 3_000;

/** What every tier answers requests without a key with: they do not grow with the tier. */
const WAF_UNAUTHENTICATED = {
  perIpRequestsPer5Min: 100,
  retryAfterSec: 60,
} as const;
/** Every address may send four keys' worth: see `perAddressRequestsPer5Min`. */
const WAF_KEYS_PER_ADDRESS = 4;
const WAF_UNAUTHENTICATED_WHY = {
  perAddressRequestsPer5Min: `${WAF_KEYS_PER_ADDRESS} keys' worth from one address: a tenant running several keys behind one NAT passes, a flood that invents a new key value per request (each with its own per-key counter, none of them known) stops here`,
  perIpRequestsPer5Min:
    'requests without a `Bearer efk_` key only earn a 401 (the SDK never retries one), so a client sends them by mistake or by hand: a monitor checking every 5 s is 60 in 5 minutes; a flood from one address stops at 100 before it costs validator invocations',
  retryAfterSec:
    "WAF re-counts its window about every 10 s and lifts a block within ~30 s of the rate falling under the limit: 60 s lets that happen, and the SDK's 5 retries then span the 5-minute window",
} as const;

/** The rollups are small (rows a day follow projects × models, not events): every tier keeps them alike. */
const ROLLUP_DAYS = {
  minuteRollupDays: 35,
  hourRollupDays: 400,
} as const;
const ROLLUP_WHY = {
  minuteRollupDays: 'a month of minute-level dashboards, and the days a month-boundary window reaches back',
  hourRollupDays: 'a year of hourly trends plus a month, to compare a month with the same month last year',
} as const;

export const TIERS = {
  1: {
    id: 1,
    name: 'tier 1: up to 1,000 events/s',
    regions: [SINGLE_REGION_DEFAULT],
    floorEventsPerSec: 0,
    ceilingEventsPerSec: 1_000,
    network: { maxAzs: 2, natGateways: 1 },
    ingest: {
      albCount: 1,
      albWeights: [100],
      validator: { memoryMiB: 1_024, timeoutSec: 10, reservedConcurrency: 20 },
      waf: {
        perKeyRequestsPer5Min: 3_000,
        perAddressRequestsPer5Min: WAF_KEYS_PER_ADDRESS * 3_000,
        ...WAF_UNAUTHENTICATED,
        why: {
          perKeyRequestsPer5Min:
            "the floor of every tier (10 SDK processes flushing partial batches once a second); half of the ceiling's 600 (2 requests/s of 500 events) would be 300. A key at it in full batches could send 5,000 events/s, more than the tier carries: in tier 1 the validator's reserved concurrency and the stream's 429 bound one key, not WAF",
          ...WAF_UNAUTHENTICATED_WHY,
        },
      },
    },
    stream: { mode: 'provisioned', shardCount: 3, retentionHours: 24 },
    archive: {
      bufferSizeMiB: 64,
      bufferIntervalSec: 300,
      lifecycle: ARCHIVE_LIFECYCLE,
    },
    loader: {
      memoryMiB: 1_024,
      timeoutSec: 120,
      batchSize: 100,
      maxBatchingWindowSec: 5,
      parallelizationFactor: 1,
      maxRetryAttempts: -1,
      maxRecordAgeSec: DAY_SEC,
    },
    // 64 MiB objects (~30 s each): 8 a batch. The default cap: about half of what the node inserts
    // beyond the ceiling (6,250 − 1,000 events/s) at ~1,560 events/s an invocation.
    replay: { ...REPLAY_FUNCTION, objectsPerBatch: 8, defaultMaxConcurrentBatches: 2 },
    query: { memoryMiB: 1_024, timeoutSec: 30, reservedConcurrency: 20 },
    retention: {
      hotDays: 5,
      warmDays: 395,
      bodiesDays: 30,
      ...ROLLUP_DAYS,
      ttlMergeTimeoutSec: 14_400,
      why: {
        hotDays:
          'five days of full rows on local disk, where trace lookups and body searches are fastest: 5 days of 176 GiB (at 1,250 events/s) fit the 2,000 GiB volume with its merge space',
        warmDays:
          'rows to 400 days as the schema always kept them: at 62 stored bytes a row they cost ~$0.15 a month per day kept at the sized load',
        bodiesDays:
          'a month of prompts and responses to debug with: 25 days of them on the S3 disk cost ~$110 a month at the sized load (ceiling × 1.25)',
        ttlMergeTimeoutSec:
          "ClickHouse's own 4 hours: a day's 176 GiB of rows needs 2 TTL merges of at most 150 GiB, and 6 fit",
        ...ROLLUP_WHY,
      },
    },
    clickhouse: {
      // The design document's t3.large sustains only its 30% baseline per vCPU (0.6 vCPU, ~940
      // events/s by its own per-vCPU figure) once CPU credits run out: below the 1,250 events/s
      // this tier must carry. c5.xlarge: 4 vCPU, and t3.large's 8 GiB of memory.
      instanceType: 'c5.xlarge',
      vcpus: 4,
      memoryGiB: 8,
      shards: 1,
      replicas: 1,
      // Three Keeper nodes from the first tier, though one node needs none: with Keeper the schema
      // is the cluster's (Replicated tables behind Distributed ones), so moving up to tier 3 adds
      // shards and replicas to the same tables and the same Keeper ensemble, in place. A node
      // without Keeper has plain MergeTree tables, which cannot grow into a cluster.
      keeperNodes: 3,
      keeperInstanceType: 't3.small',
      volumeGiB: 2_000,
      volumeThroughputMiBps: 125,
      volumeIops: 3_000,
      coldCacheGiB: 100,
    },
  },
  2: {
    id: 2,
    name: 'tier 2: 1,000 to 10,000 events/s',
    regions: [SINGLE_REGION_DEFAULT],
    floorEventsPerSec: 1_000,
    ceilingEventsPerSec: 10_000,
    network: { maxAzs: 2, natGateways: 1 },
    ingest: {
      albCount: 1,
      albWeights: [100],
      validator: { memoryMiB: 1_769, timeoutSec: 10, reservedConcurrency: 100 },
      waf: {
        perKeyRequestsPer5Min: 3_000,
        perAddressRequestsPer5Min: WAF_KEYS_PER_ADDRESS * 3_000,
        ...WAF_UNAUTHENTICATED,
        why: {
          perKeyRequestsPer5Min:
            'half the ceiling: 10,000 events/s are 20 requests/s of 500 events, 6,000 in 5 minutes, and one key may take at most 50% of them, 3,000 (also the floor of every tier)',
          ...WAF_UNAUTHENTICATED_WHY,
        },
      },
    },
    // 25, not 22 (sized by bytes: 12,500 × 5,300 ÷ 3 bytes/s ÷ 1 MiB/s = 21.1). A record is one
    // request of ~0.84 MiB and a shard's 1 MiB is per second, so a shard takes one record a second:
    // 12,500 events/s are 25 records/s.
    stream: { mode: 'provisioned', shardCount: 25, retentionHours: 24 },
    archive: {
      bufferSizeMiB: 128,
      bufferIntervalSec: 120,
      lifecycle: ARCHIVE_LIFECYCLE,
    },
    loader: {
      memoryMiB: 1_769,
      timeoutSec: 120,
      batchSize: 100,
      maxBatchingWindowSec: 5,
      parallelizationFactor: 1,
      maxRetryAttempts: -1,
      maxRecordAgeSec: DAY_SEC,
    },
    // 128 MiB objects: 4 a batch. The node has no spare insert rate at the ceiling (12,500 events/s
    // sized for 10,000 × 1.25): 2 invocations slow live loading a little; run a larger replay off-
    // peak.
    replay: { ...REPLAY_FUNCTION, objectsPerBatch: 4, defaultMaxConcurrentBatches: 2 },
    query: { memoryMiB: 1_769, timeoutSec: 30, reservedConcurrency: 50 },
    retention: {
      hotDays: 2,
      warmDays: 178,
      bodiesDays: 14,
      ...ROLLUP_DAYS,
      ttlMergeTimeoutSec: 3_600,
      why: {
        hotDays:
          'yesterday and today on local disk: at 12,500 events/s a day of full rows is 1,762 GiB, and each further day on gp3 costs ~$190 a month (with the quarter kept free) where the S3 disk costs ~$43',
        warmDays:
          'rows to 180 days: two quarters of per-call detail beyond the rollups, ~$1.55 a month per day kept at the sized load',
        bodiesDays: 'two weeks of prompts and responses: ~$520 a month on the S3 disk at the sized load',
        ttlMergeTimeoutSec:
          "hourly: a day's 1,762 GiB of rows needs 12 TTL merges of at most 150 GiB; 24 fit, and a part (~2 hours of rows) is rewritten once or twice",
        ...ROLLUP_WHY,
      },
    },
    clickhouse: {
      // 8 vCPU × 1,562.5 = 12,500 events/s: exactly 10,000 + 25%, the tightest part of this tier.
      instanceType: 'c5.2xlarge',
      vcpus: 8,
      memoryGiB: 16,
      shards: 1,
      replicas: 1,
      // Three Keeper nodes from the first tier, though one node needs none: with Keeper the schema
      // is the cluster's (Replicated tables behind Distributed ones), so moving up to tier 3 adds
      // shards and replicas to the same tables and the same Keeper ensemble, in place. A node
      // without Keeper has plain MergeTree tables, which cannot grow into a cluster.
      keeperNodes: 3,
      keeperInstanceType: 't3.small',
      volumeGiB: 6_000,
      volumeThroughputMiBps: 250,
      volumeIops: 6_000,
      coldCacheGiB: 300,
    },
  },
  3: {
    id: 3,
    name: 'tier 3: 10,000 to 50,000 events/s',
    regions: [SINGLE_REGION_DEFAULT],
    floorEventsPerSec: 10_000,
    ceilingEventsPerSec: 50_000,
    network: { maxAzs: 3, natGateways: 3 },
    ingest: {
      albCount: 2,
      albWeights: [50, 50],
      validator: { memoryMiB: 1_769, timeoutSec: 10, reservedConcurrency: 300 },
      waf: {
        perKeyRequestsPer5Min: 7_500,
        perAddressRequestsPer5Min: WAF_KEYS_PER_ADDRESS * 7_500,
        ...WAF_UNAUTHENTICATED,
        why: {
          perKeyRequestsPer5Min:
            'a quarter of the ceiling: 50,000 events/s are 100 requests/s of 500 events, 30,000 in 5 minutes, and one key may take at most 25% of them, 7,500 (12,500 events/s in full batches)',
          ...WAF_UNAUTHENTICATED_WHY,
        },
      },
    },
    // 125, not 106: 62,500 events/s are 125 records/s of ~0.84 MiB, one a second per shard.
    stream: { mode: 'provisioned', shardCount: 125, retentionHours: 24 },
    archive: {
      bufferSizeMiB: 128,
      bufferIntervalSec: 60,
      lifecycle: ARCHIVE_LIFECYCLE,
    },
    loader: {
      memoryMiB: 1_769,
      timeoutSec: 120,
      batchSize: 100,
      maxBatchingWindowSec: 5,
      parallelizationFactor: 1,
      maxRetryAttempts: -1,
      maxRecordAgeSec: DAY_SEC,
    },
    // 128 MiB objects: 4 a batch. About half of what the cluster inserts beyond the ceiling (75,000
    // − 50,000 events/s) at ~1,560 events/s an invocation.
    replay: { ...REPLAY_FUNCTION, objectsPerBatch: 4, defaultMaxConcurrentBatches: 8 },
    query: { memoryMiB: 1_769, timeoutSec: 30, reservedConcurrency: 100 },
    retention: {
      hotDays: 2,
      warmDays: 88,
      bodiesDays: 7,
      ...ROLLUP_DAYS,
      ttlMergeTimeoutSec: 1_800,
      why: {
        hotDays:
          'yesterday and today on local disk: 2,937 GiB a day per shard at 62,500 events/s; each further day on gp3 costs ~$940 a month for the three shards',
        warmDays:
          'rows to 90 days, a quarter of per-call detail: ~$7.70 a month per day kept at the sized load',
        bodiesDays:
          'a week of prompts and responses: 5 days on the S3 disk cost ~$1,090 a month at the sized load (ceiling × 1.25); the archive has them after',
        ttlMergeTimeoutSec:
          "every 30 minutes: a day's 2,937 GiB per shard needs 20 TTL merges of at most 150 GiB; 48 fit",
        ...ROLLUP_WHY,
      },
    },
    clickhouse: {
      // The design document's 3 × c5.4xlarge, as 3 shards of one replica: 3 × 25,000 events/s
      // carries 62,500 (50,000 + 25%); replicating them would need 6 nodes.
      instanceType: 'c5.4xlarge',
      vcpus: 16,
      memoryGiB: 32,
      shards: 3,
      replicas: 1,
      keeperNodes: 3,
      keeperInstanceType: 't3.small',
      volumeGiB: 10_000,
      volumeThroughputMiBps: 500,
      volumeIops: 10_000,
      coldCacheGiB: 400,
    },
  },
  4: {
    id: 4,
    name: 'tier 4: 50,000 to 200,000 events/s',
    // Active-active in the design document's three regions; the figures below are each region's.
    regions: ['us-east-1', 'eu-west-1', 'ap-southeast-1'],
    crossRegion: {
      sizingRule:
        "each region is sized for the whole ceiling (the figures below), not a third or a half: a project's events are stored in its home region alone, and one home region may hold most of the tier's traffic (a large tenant), so its stream, loader and ClickHouse must carry the ceiling whatever the other regions do; and with two regions down the third still takes every client. In normal operation each region runs at about a third of its size; the cost report prices each region at its share of the load (npm run cost)",
      transit: { retentionHours: 168 },
      // A batch of 100 records of up to ~0.84 MiB is put in PutRecords calls of at most 5 MiB:
      // ~17 calls of ~100 ms across regions, well inside 60 s.
      forwarder: {
        memoryMiB: 1_024,
        timeoutSec: 60,
        batchSize: 100,
        parallelizationFactor: 1,
        maxRetryAttempts: -1,
        maxRecordAgeSec: 7 * DAY_SEC,
      },
    },
    floorEventsPerSec: 50_000,
    ceilingEventsPerSec: 200_000,
    network: { maxAzs: 3, natGateways: 3 },
    ingest: {
      albCount: 4,
      albWeights: [25, 25, 25, 25],
      // 300, not 900: 250,000 events/s are 500 requests/s of ~59.5 ms each (24.5 ms of CPU at
      // ~49 µs per event, ~5 ms per request, a ~30 ms PutRecords round trip), ~30 concurrent
      // validators. 900 reserved plus the query's 200 is more than an account may reserve under
      // the default quota of 1,000 (100 must stay unreserved), and the loader's 500 concurrent
      // batches (one per shard) run on what is left: 300 is the most that leaves them 500, and
      // still 10× the need. The design document's 20 × c5.2xlarge (160 vCPU) follow from its
      // 0.5 ms per event; ~12 vCPU suffice.
      validator: { memoryMiB: 1_769, timeoutSec: 10, reservedConcurrency: 300 },
      waf: {
        perKeyRequestsPer5Min: 12_000,
        perAddressRequestsPer5Min: WAF_KEYS_PER_ADDRESS * 12_000,
        ...WAF_UNAUTHENTICATED,
        why: {
          perKeyRequestsPer5Min:
            'a tenth of the ceiling: 200,000 events/s are 400 requests/s of 500 events, 120,000 in 5 minutes, and one key may take at most 10% of them, 12,000 (20,000 events/s in full batches)',
          ...WAF_UNAUTHENTICATED_WHY,
        },
      },
    },
    // 500, not 422: 250,000 events/s are 500 records/s of ~0.84 MiB, one a second per shard.
    stream: { mode: 'provisioned', shardCount: 500, retentionHours: 24 },
    archive: {
      bufferSizeMiB: 128,
      bufferIntervalSec: 60,
      lifecycle: ARCHIVE_LIFECYCLE,
    },
    loader: {
      memoryMiB: 1_769,
      timeoutSec: 120,
      batchSize: 100,
      maxBatchingWindowSec: 10,
      parallelizationFactor: 1,
      maxRetryAttempts: -1,
      maxRecordAgeSec: DAY_SEC,
    },
    // 128 MiB objects: 4 a batch. About half of what the cluster inserts beyond the ceiling
    // (253,125 − 200,000 events/s) at ~1,560 events/s an invocation.
    replay: { ...REPLAY_FUNCTION, objectsPerBatch: 4, defaultMaxConcurrentBatches: 17 },
    query: { memoryMiB: 1_769, timeoutSec: 30, reservedConcurrency: 200 },
    retention: {
      hotDays: 7,
      warmDays: 83,
      bodiesDays: 1,
      ...ROLLUP_DAYS,
      ttlMergeTimeoutSec: 900,
      why: {
        hotDays:
          'a week on local disk: bodies go after a day, so six of the seven days are rows without bodies (208 GiB a day per node, against 5,877 GiB with them), and 12,000 GiB hold them with the merge space',
        warmDays:
          'rows to 90 days, a quarter of per-call detail: ~$62 a month per day kept at the sized load (two replicas each keep a copy)',
        bodiesDays:
          'a day, emptied while the part is still hot (a part moves when its newest row is 7 days old): each day of bodies on the S3 disk would cost ~$1,700 a month (36 TB a day, twice over), and emptying them there rewrites every part through S3; the archive keeps them',
        ttlMergeTimeoutSec:
          "every 15 minutes: a day's 5,874 GiB per shard needs 40 TTL merges of at most 150 GiB; 96 fit",
        ...ROLLUP_WHY,
      },
    },
    clickhouse: {
      // The design document's 12 × c5.9xlarge, in one region here: 6 shards × 2 replicas.
      instanceType: 'c5.9xlarge',
      vcpus: 36,
      memoryGiB: 72,
      shards: 6,
      replicas: 2,
      keeperNodes: 3,
      keeperInstanceType: 't3.medium',
      volumeGiB: 12_000,
      volumeThroughputMiBps: 1_000,
      volumeIops: 16_000,
      coldCacheGiB: 800,
    },
  },
} as const satisfies Record<TierId, TierSpec>;

export const TIER_IDS: readonly TierId[] = [1, 2, 3, 4];

/** A tier by its id, with a clear error for anything else (the `-c tier=` context is text). */
export function tierById(value: unknown): TierSpec {
  // Only the digit itself: Number() would also read ' 2', '2.0', '02' and '0x2' as 2.
  const id = typeof value === 'string' && /^[1-4]$/.test(value) ? Number(value) : value;
  if (id !== 1 && id !== 2 && id !== 3 && id !== 4) {
    const got = typeof value === 'number' || value === undefined ? String(value) : JSON.stringify(value);
    throw new Error(`tier must be 1, 2, 3 or 4 (-c tier=N), got ${got}`);
  }
  return TIERS[id];
}
