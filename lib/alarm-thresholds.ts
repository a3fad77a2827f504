/**
 * Where each alarm of a tier fires, from the tier's own sizes and the limits `lib/capacity.ts`
 * holds them to: pure, no aws-cdk-lib import, so the tests can check every figure by hand and the
 * runbook (docs/operations.md) can name the same ones. `lib/constructs/operations.ts` turns each
 * entry into a CloudWatch alarm.
 */
import { AWS_LIMITS, streamFigures } from './capacity.js';
import type { TierSpec } from './tiers.js';

/** The share of a limit past which an alarm fires: room to add shards before writes are refused. */
export const LIMIT_SHARE = 0.8;
/** How far the validators may get to their reserved concurrency before an alarm fires. */
export const CONCURRENCY_SHARE = 0.9;
/** The share of its timeout a loader batch may take before an alarm fires. */
export const TIMEOUT_SHARE = 0.8;
/** How old the stream's oldest unread record may be, for Firehose and the loader: a minute. */
export const MAX_ITERATOR_AGE_MS = 60_000;
/** Load balancer and query answers of 5xx, as a share of requests. */
export const MAX_5XX_RATE = 0.01;
/** A ClickHouse data volume's free share under which an alarm fires. */
export const MIN_DISK_FREE_RATIO = 0.2;
/** Firehose may take this many buffer intervals to deliver a record before an alarm fires. */
export const FRESHNESS_INTERVALS = 2;
/**
 * TTL-merge intervals (`retention.ttlMergeTimeoutSec`) the oldest entry of a replica's replication
 * queue may reach before an alarm fires. The longest entry a healthy replica holds is a merge of
 * at most a largest part (a fetch takes milliseconds); the capacity model has a partition run one
 * such TTL merge per interval, with room for each to take about twice that (tier 4: 96 fit a day,
 * 40 are needed). Four intervals is past any merge the model affords: a fetch or merge that
 * cannot finish, or a replica that stopped applying the log.
 */
export const REPLICATION_QUEUE_AGE_TTL_INTERVALS = 4;

/** One alarm's condition: a statistic of a metric over a period, compared with a threshold. */
export interface AlarmThreshold {
  /** `above`: fires when the statistic is greater than the threshold; `below`: less than. */
  readonly comparison: 'above' | 'below';
  readonly threshold: number;
  /** The CloudWatch statistic compared: `Sum`, `Maximum`, `Minimum` or `Average`. */
  readonly statistic: 'Sum' | 'Maximum' | 'Minimum' | 'Average';
  readonly periodSec: number;
  /** Consecutive periods over the threshold before the alarm fires. */
  readonly evaluationPeriods: number;
  /**
   * A period without data: `notBreaching` for counts (no throttles were counted because none
   * happened), `missing` for gauges (the alarm shows insufficient data rather than a guess).
   */
  readonly missingData: 'notBreaching' | 'missing';
  /** What crossing it means, in one line (the alarm's description). */
  readonly meaning: string;
}

/** The alarms of every tier, by name; `docs/operations.md` has a section for each. */
export type AlarmName =
  | 'streamIncomingBytes'
  | 'streamIncomingRecords'
  | 'streamWriteThrottles'
  | 'streamIteratorAge'
  | 'alb5xxRate'
  | 'validatorThrottles'
  | 'validatorConcurrency'
  | 'loaderErrors'
  | 'loaderThrottles'
  | 'loaderDuration'
  | 'deadLetters'
  | 'firehoseFreshness'
  | 'firehoseDeliverySuccess'
  | 'clickhouseDiskFree'
  | 'clickhouseNodeUnreachable'
  | 'clickhouseReplicationQueueAge'
  | 'query5xxRate';

/**
 * Alarms only a tier with more than one replica per shard has: with one replica the replication
 * queue holds the node's own merges and mutations, which `MaxPartsPerPartition` already shows, and
 * nothing to fetch from another replica.
 */
export type ReplicatedAlarmName = 'clickhouseReplicationQueueAge';

/** The tier's alarms: every `AlarmName`, less the `ReplicatedAlarmName`s on a tier of one replica. */
export type AlarmThresholds = Readonly<Record<Exclude<AlarmName, ReplicatedAlarmName>, AlarmThreshold>> &
  Readonly<Partial<Record<ReplicatedAlarmName, AlarmThreshold>>>;

const count = (meaning: string, periodSec = 300): AlarmThreshold => ({
  comparison: 'above',
  threshold: 0,
  statistic: 'Sum',
  periodSec,
  evaluationPeriods: 1,
  missingData: 'notBreaching',
  meaning,
});

/**
 * The tier's alarm thresholds. The stream's come from its shard count and Kinesis' per-shard
 * write limits (1 MiB/s, 1,000 records/s), summed over a minute; the functions' from their
 * reserved concurrency and timeout; Firehose's from the archive's buffer interval; the
 * replication queue's (replicated tiers only) from the TTL merge interval.
 */
export function alarmThresholds(tier: TierSpec): AlarmThresholds {
  const { shards } = streamFigures(tier);
  const minuteSec = 60;
  const queueAgeSec = REPLICATION_QUEUE_AGE_TTL_INTERVALS * tier.retention.ttlMergeTimeoutSec;
  const replicated: Partial<Record<ReplicatedAlarmName, AlarmThreshold>> =
    tier.clickhouse.replicas > 1
      ? {
          clickhouseReplicationQueueAge: {
            comparison: 'above',
            threshold: queueAgeSec,
            // The oldest entry's age only grows until it is done: its least over 5 minutes is
            // the age an entry kept all that time.
            statistic: 'Minimum',
            periodSec: 300,
            evaluationPeriods: 1,
            // No reading is an unreachable node, which has its own alarm.
            missingData: 'missing',
            meaning: `a ClickHouse replica's oldest replication queue entry is older than ${REPLICATION_QUEUE_AGE_TTL_INTERVALS} TTL merge intervals (${queueAgeSec} s), for 5 minutes`,
          },
        }
      : {};
  return {
    ...replicated,
    streamIncomingBytes: {
      comparison: 'above',
      threshold: LIMIT_SHARE * shards * AWS_LIMITS.kinesisShardWriteBytesPerSec * minuteSec,
      statistic: 'Sum',
      periodSec: minuteSec,
      evaluationPeriods: 5,
      missingData: 'notBreaching',
      meaning: `bytes written to the stream a minute above ${LIMIT_SHARE * 100}% of its ${shards} shards' limit, for 5 minutes`,
    },
    streamIncomingRecords: {
      comparison: 'above',
      threshold: LIMIT_SHARE * shards * AWS_LIMITS.kinesisShardWriteRecordsPerSec * minuteSec,
      statistic: 'Sum',
      periodSec: minuteSec,
      evaluationPeriods: 5,
      missingData: 'notBreaching',
      meaning: `records written to the stream a minute above ${LIMIT_SHARE * 100}% of its ${shards} shards' limit, for 5 minutes`,
    },
    streamWriteThrottles: count('the stream refused writes over its shards’ limits', minuteSec),
    streamIteratorAge: {
      comparison: 'above',
      threshold: MAX_ITERATOR_AGE_MS,
      statistic: 'Maximum',
      periodSec: minuteSec,
      evaluationPeriods: 5,
      missingData: 'missing',
      meaning:
        'a consumer of the stream (Firehose or the loader) is more than a minute behind, for 5 minutes',
    },
    alb5xxRate: {
      comparison: 'above',
      threshold: MAX_5XX_RATE,
      statistic: 'Sum',
      periodSec: 300,
      evaluationPeriods: 1,
      missingData: 'notBreaching',
      meaning: `more than ${MAX_5XX_RATE * 100}% of a load balancer's ingest requests answered 5xx`,
    },
    validatorThrottles: count('the validators hit their reserved concurrency: requests were refused'),
    validatorConcurrency: {
      comparison: 'above',
      threshold: CONCURRENCY_SHARE * tier.ingest.validator.reservedConcurrency,
      statistic: 'Maximum',
      periodSec: 300,
      evaluationPeriods: 3,
      missingData: 'notBreaching',
      meaning: `validators running at once above ${CONCURRENCY_SHARE * 100}% of their reserved ${tier.ingest.validator.reservedConcurrency}, for 15 minutes`,
    },
    loaderErrors: count('loader batches failed (they are retried until their records expire)'),
    loaderThrottles: count('loader invocations were throttled: the stream backs up'),
    loaderDuration: {
      comparison: 'above',
      threshold: TIMEOUT_SHARE * tier.loader.timeoutSec * 1_000,
      statistic: 'Maximum',
      periodSec: 300,
      evaluationPeriods: 3,
      missingData: 'notBreaching',
      meaning: `a loader batch took more than ${TIMEOUT_SHARE * 100}% of its ${tier.loader.timeoutSec} s timeout, for 15 minutes`,
    },
    deadLetters: count('ClickHouse refused events: the loader set them aside as dead letters'),
    firehoseFreshness: {
      comparison: 'above',
      threshold: FRESHNESS_INTERVALS * tier.archive.bufferIntervalSec,
      statistic: 'Maximum',
      periodSec: 300,
      evaluationPeriods: 1,
      missingData: 'missing',
      meaning: `the oldest record not yet in the archive is older than ${FRESHNESS_INTERVALS} buffer intervals (${tier.archive.bufferIntervalSec} s each)`,
    },
    firehoseDeliverySuccess: {
      comparison: 'below',
      threshold: 1,
      statistic: 'Minimum',
      periodSec: 300,
      evaluationPeriods: 1,
      missingData: 'notBreaching',
      meaning:
        'Firehose failed to put an object into the archive bucket (it retries, then writes to errors/)',
    },
    clickhouseDiskFree: {
      comparison: 'below',
      threshold: MIN_DISK_FREE_RATIO,
      statistic: 'Minimum',
      periodSec: 300,
      evaluationPeriods: 1,
      missingData: 'missing',
      meaning: `a ClickHouse data volume has less than ${MIN_DISK_FREE_RATIO * 100}% free`,
    },
    clickhouseNodeUnreachable: {
      comparison: 'above',
      threshold: 0,
      statistic: 'Minimum',
      periodSec: 60,
      // Three readings in a row: a restart or a deploy's rolling reboot takes a minute or two.
      evaluationPeriods: 3,
      // No reading at all is the health function not running: its own errors show it.
      missingData: 'missing',
      meaning: 'the health function could not read a ClickHouse data node for 3 minutes in a row',
    },
    query5xxRate: {
      comparison: 'above',
      threshold: MAX_5XX_RATE,
      statistic: 'Sum',
      periodSec: 300,
      evaluationPeriods: 1,
      missingData: 'notBreaching',
      meaning: `more than ${MAX_5XX_RATE * 100}% of a load balancer's query requests answered 5xx`,
    },
  };
}
