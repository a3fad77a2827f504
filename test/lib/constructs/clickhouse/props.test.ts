import { describe, expect, it } from 'vitest';
import {
  type ClickHouseClusterProps,
  ClickHouseClusterPropsError,
  clusterLayout,
  validateClusterProps,
} from '../../../../lib/constructs/clickhouse/props.js';
import { TIER_IDS, TIERS } from '../../../../lib/tiers.js';
import { SHAPES, type Shape } from './shapes.js';

describe('validateClusterProps', () => {
  it.each(SHAPES)('accepts $label', (shape) => {
    expect(() => validateClusterProps(shape)).not.toThrow();
  });

  it.each(TIER_IDS)("accepts tier %i's slice of the sizing table", (id) => {
    expect(() =>
      validateClusterProps({ ...TIERS[id].clickhouse, retention: TIERS[id].retention }),
    ).not.toThrow();
  });

  const base = SHAPES[2] as Shape;
  it.each<[string, Partial<ClickHouseClusterProps>, RegExp]>([
    ['no shard', { shards: 0 }, /^shards must be an integer ≥ 1, got 0$/],
    ['a fractional replica count', { replicas: 1.5 }, /^replicas must be an integer/],
    [
      'replicas without Keeper',
      { replicas: 2, keeperNodes: 0 },
      /^replicas 2 needs ClickHouse Keeper.*keeperNodes/,
    ],
    [
      'shards without Keeper',
      { shards: 3, keeperNodes: 0 },
      /^shards 3 needs ClickHouse Keeper.*keeperNodes/,
    ],
    ['an even Keeper count', { keeperNodes: 2 }, /^keeperNodes must be 0 or odd/],
    ['a volume over gp3’s size', { volumeGiB: 70_000 }, /^volumeGiB must be an integer 1–65536, got 70000$/],
    ['IOPS under gp3’s baseline', { volumeIops: 2_000 }, /^volumeIops must be an integer 3000–80000/],
    [
      'IOPS over 500 per GiB',
      { volumeGiB: 10, volumeIops: 6_000 },
      /^volumeIops 6000 exceeds .* volumeGiB 10$/,
    ],
    [
      'throughput over 0.25 MiB/s per IOPS',
      { volumeThroughputMiBps: 1_000, volumeIops: 3_000 },
      /^volumeThroughputMiBps 1000 exceeds .* volumeIops 3000$/,
    ],
    [
      'throughput over gp3’s maximum',
      { volumeThroughputMiBps: 2_500, volumeIops: 16_000 },
      /^volumeThroughputMiBps must be/,
    ],
    ['an arm64 instance type', { instanceType: 'c7g.4xlarge' }, /^instanceType c7g\.4xlarge is arm64/],
    ['an arm64 Keeper type', { keeperInstanceType: 't4g.small' }, /^keeperInstanceType t4g\.small is arm64/],
    [
      'an instance type EC2 does not have',
      { instanceType: 'large' },
      /^instanceType large is not an instance type/,
    ],
    ['a root volume under 8 GiB', { rootVolumeGiB: 4 }, /^rootVolumeGiB must be an integer 8–16384, got 4$/],
    ['no cold cache', { coldCacheGiB: 0 }, /^coldCacheGiB must be an integer ≥ 1, got 0$/],
    [
      'a cold cache over a tenth of the volume',
      { volumeGiB: 2_000, coldCacheGiB: 201 },
      /^coldCacheGiB 201 exceeds 10% of volumeGiB 2000: /,
    ],
    [
      'bodies kept longer than their rows',
      { retention: { ...base.retention, hotDays: 2, warmDays: 5, bodiesDays: 8 } },
      /^retention bodiesDays 8 must not exceed the rows' 7 days/,
    ],
    [
      'a fractional hot day count',
      { retention: { ...base.retention, hotDays: 1.5 } },
      /^retention hotDays must be a whole number of days/,
    ],
    ['a cluster name SQL cannot name', { clusterName: 'eval-forge' }, /^clusterName must match/],
    [
      'a domain name with capitals',
      { domainName: 'ClickHouse.internal' },
      /^domainName must be a lower-case DNS name/,
    ],
    ['a version that is not a release', { clickhouseVersion: 'latest' }, /^clickhouseVersion must be/],
  ])('rejects %s', (_, override, message) => {
    expect(() => validateClusterProps({ ...base, ...override })).toThrow(ClickHouseClusterPropsError);
    expect(() => validateClusterProps({ ...base, ...override })).toThrow(message);
  });
});

describe('clusterLayout', () => {
  it('names the cluster evalforge in clickhouse.evalforge.internal unless told otherwise', () => {
    const shape = { shards: 6, replicas: 2, keeperNodes: 3 };
    expect(clusterLayout(shape)).toEqual({
      clusterName: 'evalforge',
      domainName: 'clickhouse.evalforge.internal',
      ...shape,
    });
    expect(clusterLayout({ ...shape, clusterName: 'analytics', domainName: 'ch.example.internal' })).toEqual({
      clusterName: 'analytics',
      domainName: 'ch.example.internal',
      ...shape,
    });
  });
});
