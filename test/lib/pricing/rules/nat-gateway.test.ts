import { describe, expect, it } from 'vitest';
import { natGatewayRule } from '../../../../lib/pricing/rules/nat-gateway.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

const nat = res('AWS::EC2::NatGateway', 'Nat', {}, 'network');

describe('natGatewayRule', () => {
  it.each([
    // 730 h × $0.045; no bytes through it by default
    [undefined, 0, 0],
    [100, 100, 4.5],
  ])('bills 730 hours and the GB processed (assumed %s GB)', (assumed, processedGb, processingUsd) => {
    const assumptions = assumed === undefined ? {} : { natProcessedGbPerMonth: assumed };
    const [lines] = priceWith(natGatewayRule, [nat], { load: idle, assumptions });
    expect(summary(lines ?? [])).toEqual([
      ['NAT gateway hours', 730, expect.closeTo(32.85, 9)],
      ['NAT gateway processing', processedGb, expect.closeTo(processingUsd, 9)],
    ]);
  });
});
