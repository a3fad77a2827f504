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
});
