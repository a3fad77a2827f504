import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alarmThresholds } from '../../lib/alarm-thresholds.js';
import { AWS_LIMITS, streamFigures } from '../../lib/capacity.js';
import { TIER_IDS, TIERS, type TierSpec } from '../../lib/tiers.js';

describe('alarmThresholds, by hand per tier', () => {
  // shards × 1 MiB/s × 60 s × 80%, shards × 1,000 records/s × 60 s × 80%; validators at 90% of
  // their reservation; Firehose at two buffer intervals; the loader at 80% of its 120 s timeout.
  it.each([
    { id: 1, shards: 3, bytes: 150_994_944, records: 144_000, concurrency: 18, freshnessSec: 600 },
    { id: 2, shards: 25, bytes: 1_258_291_200, records: 1_200_000, concurrency: 90, freshnessSec: 240 },
    { id: 3, shards: 125, bytes: 6_291_456_000, records: 6_000_000, concurrency: 270, freshnessSec: 120 },
    { id: 4, shards: 500, bytes: 25_165_824_000, records: 24_000_000, concurrency: 270, freshnessSec: 120 },
  ] as const)('tier $id ($shards shards)', ({ id, shards, bytes, records, concurrency, freshnessSec }) => {
    const t = alarmThresholds(TIERS[id]);
    expect(streamFigures(TIERS[id]).shards).toBe(shards);
    expect(t.streamIncomingBytes.threshold).toBeCloseTo(bytes, 3);
    expect(t.streamIncomingRecords.threshold).toBeCloseTo(records, 6);
    expect(t.validatorConcurrency.threshold).toBeCloseTo(concurrency, 6);
    expect(t.firehoseFreshness.threshold).toBe(freshnessSec);
    expect(t.loaderDuration.threshold).toBeCloseTo(96_000, 6);
  });
});

describe.each(TIER_IDS.map((id) => [id, TIERS[id]] as const))(
  'tier %i against the capacity model',
  (_, tier) => {
    const t = alarmThresholds(tier);
    const { shards } = streamFigures(tier);
    const perMinute = (perSec: number) => perSec * 60;

    it("puts the stream's byte and record alarms at 80% of the shards' write limits", () => {
      expect(t.streamIncomingBytes.threshold).toBeCloseTo(
        perMinute(0.8 * shards * AWS_LIMITS.kinesisShardWriteBytesPerSec),
        3,
      );
      expect(t.streamIncomingRecords.threshold).toBeCloseTo(
        perMinute(0.8 * shards * AWS_LIMITS.kinesisShardWriteRecordsPerSec),
        6,
      );
      expect(t.streamIncomingBytes).toMatchObject({ comparison: 'above', statistic: 'Sum', periodSec: 60 });
    });

    it("stays quiet at the tier's ceiling: the bytes the model puts on the stream there are under the alarm", () => {
      const atCeiling = streamFigures(tier, { eventsPerSec: tier.ceilingEventsPerSec });
      expect(perMinute(atCeiling.recordsPerSec * atCeiling.recordBytes)).toBeLessThan(
        t.streamIncomingBytes.threshold,
      );
      expect(perMinute(atCeiling.recordsPerSec)).toBeLessThan(t.streamIncomingRecords.threshold);
    });

    it('fires on any write throttle, any dead letter, and an iterator a minute old', () => {
      expect(t.streamWriteThrottles).toMatchObject({ comparison: 'above', threshold: 0, statistic: 'Sum' });
      expect(t.deadLetters).toMatchObject({ comparison: 'above', threshold: 0, statistic: 'Sum' });
      expect(t.streamIteratorAge).toMatchObject({
        comparison: 'above',
        threshold: 60_000,
        statistic: 'Maximum',
      });
    });

    it("derives the validator, loader and Firehose alarms from the tier's sizes", () => {
      expect(t.validatorConcurrency.threshold).toBeCloseTo(
        0.9 * tier.ingest.validator.reservedConcurrency,
        6,
      );
      expect(t.validatorConcurrency.threshold).toBeLessThan(tier.ingest.validator.reservedConcurrency);
      expect(t.loaderDuration.threshold).toBeCloseTo(0.8 * tier.loader.timeoutSec * 1_000, 6);
      expect(t.firehoseFreshness.threshold).toBe(2 * tier.archive.bufferIntervalSec);
      expect(t.firehoseDeliverySuccess).toMatchObject({ comparison: 'below', threshold: 1 });
    });

    it('fires on 5xx above 1% of requests and on a ClickHouse disk under 20% free', () => {
      expect(t.alb5xxRate).toMatchObject({ comparison: 'above', threshold: 0.01 });
      expect(t.query5xxRate).toMatchObject({ comparison: 'above', threshold: 0.01 });
      expect(t.clickhouseDiskFree).toMatchObject({
        comparison: 'below',
        threshold: 0.2,
        statistic: 'Minimum',
      });
    });

    it("alarms on a replica's oldest replication queue entry past 4 TTL merge intervals, on replicated tiers only", () => {
      if (tier.clickhouse.replicas === 1) {
        expect(t.clickhouseReplicationQueueAge).toBeUndefined();
        return;
      }
      expect(t.clickhouseReplicationQueueAge).toMatchObject({
        comparison: 'above',
        threshold: 4 * tier.retention.ttlMergeTimeoutSec,
        statistic: 'Minimum',
        missingData: 'missing',
      });
    });

    it('treats a period without data as not breaching for counts, and as missing for gauges', () => {
      for (const [name, alarm] of Object.entries(t)) {
        const gauge = [
          'streamIteratorAge',
          'firehoseFreshness',
          'clickhouseDiskFree',
          'clickhouseNodeUnreachable',
          'clickhouseReplicationQueueAge',
        ].includes(name);
        expect([name, alarm.missingData]).toEqual([name, gauge ? 'missing' : 'notBreaching']);
      }
    });
  },
);

describe('alarmThresholds of a stream without shards', () => {
  it('fails for an on-demand stream, which has no shard limits to alarm on', () => {
    const onDemand: TierSpec = {
      ...TIERS[1],
      stream: { mode: 'on-demand', retentionHours: 24, reason: 'test' },
    };
    expect(() => alarmThresholds(onDemand)).toThrow(/on-demand/);
  });
});

describe('the runbook (docs/operations.md)', () => {
  const runbook = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  /** A table row as its cells, trimmed: the formatter pads them. */
  const row = (name: string) => {
    const line = runbook.split('\n').find((l) => l.startsWith(`| \`${name}\``)) ?? '';
    return `| ${line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim())
      .join(' | ')} |`;
  };

  it('has a section for every alarm of every tier and for the composite, which the alarm descriptions link to', () => {
    const names = new Set(TIER_IDS.flatMap((id) => Object.keys(alarmThresholds(TIERS[id]))));
    expect(names).toContain('clickhouseReplicationQueueAge');
    for (const name of [...names, 'ingestUnhealthy']) {
      expect(runbook).toContain(`\n## \`${name}\`\n`);
    }
  });

  it("gives each tier's stream, validator and Firehose thresholds as alarmThresholds computes them", () => {
    const figures = (name: 'streamIncomingBytes' | 'streamIncomingRecords' | 'validatorConcurrency') =>
      TIER_IDS.map((id) => alarmThresholds(TIERS[id])[name].threshold.toLocaleString('en-US'));
    for (const name of ['streamIncomingBytes', 'streamIncomingRecords'] as const) {
      expect(row(name)).toContain(`| ${figures(name).join(' | ')} |`);
    }
    expect(row('validatorConcurrency')).toContain(`| > ${figures('validatorConcurrency').join(' | > ')} |`);
    const freshness = TIER_IDS.map((id) => `> ${alarmThresholds(TIERS[id]).firehoseFreshness.threshold} s`);
    expect(row('firehoseFreshness')).toContain(`| ${freshness.join(' | ')} |`);
    const queueAge = TIER_IDS.map((id) => {
      const a = alarmThresholds(TIERS[id]).clickhouseReplicationQueueAge;
      return a === undefined ? '—' : `> ${a.threshold.toLocaleString('en-US')} s`;
    });
    expect(row('clickhouseReplicationQueueAge')).toContain(`| ${queueAge.join(' | ')} |`);
  });
});
