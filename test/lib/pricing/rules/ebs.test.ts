import { describe, expect, it } from 'vitest';
import { ebsVolumeRule } from '../../../../lib/pricing/rules/ebs.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

const volume = (size: Record<string, string | number>) => res('AWS::EC2::Volume', 'Data', size, 'analytics');

describe('ebsVolumeRule', () => {
  it.each([
    // 1,000 GiB × $0.08; gp3's 3,000 IOPS and 125 MiB/s are included
    [{ volumeType: 'gp3', volumeGiB: 1_000 }, [['EBS gp3 storage', 1_000, 80]]],
    [
      { volumeType: 'gp3', volumeGiB: 1_000, volumeIops: 3_000, volumeThroughputMiBps: 125 },
      [['EBS gp3 storage', 1_000, 80]],
    ],
    // 4,000 × $0.08; 3,000 IOPS above the included × $0.005; 125 MiB/s above × $0.04
    [
      { volumeType: 'gp3', volumeGiB: 4_000, volumeIops: 6_000, volumeThroughputMiBps: 250 },
      [
        ['EBS gp3 storage', 4_000, 320],
        ['EBS gp3 IOPS', 3_000, 15],
        ['EBS gp3 throughput', 125, 5],
      ],
    ],
  ])('prices %o', (size, expected) => {
    const [lines] = priceWith(ebsVolumeRule, [volume(size)], { load: idle });
    expect(summary(lines ?? [])).toEqual(
      expected.map(([item, quantity, usd]) => [item, quantity, expect.closeTo(usd as number, 9)]),
    );
  });

  it('gives a resource without a volume no line', () => {
    expect(priceWith(ebsVolumeRule, [volume({ volumeType: 'gp3' })])).toEqual([[]]);
  });

  it('rejects an EBS volume type without a price, naming it and the region', () => {
    expect(() => priceWith(ebsVolumeRule, [volume({ volumeType: 'io2', volumeGiB: 100 })])).toThrow(
      /io2.*us-east-1/,
    );
  });
});
