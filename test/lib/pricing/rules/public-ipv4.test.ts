import { describe, expect, it } from 'vitest';
import { publicIpv4Rule } from '../../../../lib/pricing/rules/public-ipv4.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

describe('publicIpv4Rule', () => {
  it('bills each address 730 hours at $0.005', () => {
    const slice = [
      res('AWS::EC2::EIP', 'NatIp1', {}, 'network'),
      res('AWS::EC2::EIP', 'NatIp2', {}, 'network'),
    ];
    expect(priceWith(publicIpv4Rule, slice, { load: idle }).map(summary)).toEqual([
      [['public IPv4 address', 730, expect.closeTo(3.65, 9)]],
      [['public IPv4 address', 730, expect.closeTo(3.65, 9)]],
    ]);
  });
});
