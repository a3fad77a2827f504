import { describe, expect, it } from 'vitest';
import { totalMonthlyUsd } from '../../../../lib/pricing/cost-model.js';
import { ec2InstanceRule } from '../../../../lib/pricing/rules/ec2.js';
import { idle, priceWith, res } from './rule-fixtures.js';

const instance = (size: Record<string, string | number>) =>
  res('AWS::EC2::Instance', 'Node', size, 'analytics');

describe('ec2InstanceRule', () => {
  it.each([
    // 730 h × $0.17 = $124.10; 1,000 GiB × $0.08 = $80; 3,000 IOPS and 125 MiB/s are included
    [
      { instanceType: 'c5.xlarge', volumeGiB: 1_000, volumeIops: 3_000, volumeThroughputMiBps: 125 },
      124.1 + 80,
    ],
    // 730 × $0.34 = $248.20; 4,000 × $0.08 = $320; 3,000 IOPS × $0.005 = $15; 125 MiB/s × $0.04 = $5
    [
      { instanceType: 'c5.2xlarge', volumeGiB: 4_000, volumeIops: 6_000, volumeThroughputMiBps: 250 },
      248.2 + 320 + 15 + 5,
    ],
    // 730 × $0.0208 = $15.184, no block device
    [{ instanceType: 't3.small' }, 15.184],
  ])('prices an instance %o at $%d a month', (size, usd) => {
    const [lines] = priceWith(ec2InstanceRule, [instance(size)], { load: idle });
    expect(totalMonthlyUsd(lines ?? [])).toBeCloseTo(usd, 6);
  });

  it('rejects an instance type without a price, naming the type and the region', () => {
    expect(() => priceWith(ec2InstanceRule, [instance({ instanceType: 'x9.huge' })])).toThrow(
      /x9\.huge.*us-east-1/,
    );
  });

  describe('a ClickHouse data node', () => {
    const node = (replica: number) =>
      res(
        'AWS::EC2::Instance',
        `Shard1Replica${replica}`,
        { instanceType: 'c5.xlarge', clickHouseShard: 1, clickHouseReplica: replica, availabilityZones: 3 },
        'clickhouse',
      );
    const volume = (replica: number) =>
      res(
        'AWS::EC2::Volume',
        `Shard1Replica${replica}Data`,
        { volumeType: 'gp3', volumeGiB: 1_000, clickHouseShard: 1, clickHouseReplica: replica },
        'clickhouse',
      );
    const inventory = [node(1), node(2), volume(1), volume(2)];
    const interAz = (lines: readonly { item: string; monthlyUsd: number }[] | undefined) =>
      (lines ?? []).filter((l) => l.item.startsWith('Inter-AZ')).map((l) => [l.item, l.monthlyUsd]);

    it('pays for the inserts from other zones and for the parts its peer replica inserted', () => {
      const [first] = priceWith(ec2InstanceRule, [node(1)], { inventory });
      // 50,000 events/s on one shard, inserted on either replica: 25,000 a node, each (5,300 + 400
      // header bytes) ÷ 2.73 = 2,087.9 bytes as the loader sends them (gzip level 1, not the request
      // bodies' eventBytes ÷ gzipRatio), 2 of 3 zones elsewhere: 34,798,535 B/s × 2,628,000 s =
      // 91,451 GB, billed on both sides at $0.01.
      const inserts = (25_000 * ((5_300 + 400) / 2.73) * (2 / 3) * 2_628_000) / 1e9;
      // Half the shard's rows were inserted on the other replica: 25,000 × 1,753.01 stored bytes
      // = 43,825,250 B/s = 115,172.8 GB a month, both sides: $2,303.46.
      const fetched = (25_000 * 1_753.01 * 2_628_000) / 1e9;
      expect(interAz(first)).toEqual([
        ['Inter-AZ: loader inserts', expect.closeTo(inserts * 2 * 0.01, 6)],
        ['Inter-AZ: replica fetches', expect.closeTo(fetched * 2 * 0.01, 6)],
      ]);
    });

    it('has no replica fetches with one replica, and no inter-AZ lines in one zone', () => {
      const alone = res('AWS::EC2::Instance', 'Shard1Replica1', {
        instanceType: 'c5.xlarge',
        clickHouseShard: 1,
        clickHouseReplica: 1,
        availabilityZones: 1,
      });
      const [lines] = priceWith(ec2InstanceRule, [alone], { inventory: [alone, volume(1)] });
      expect(interAz(lines)).toEqual([]);
    });

    it('costs nothing to cross at idle', () => {
      const [lines] = priceWith(ec2InstanceRule, [node(1)], { inventory, load: idle });
      expect(interAz(lines)).toEqual([]);
    });
  });
});
