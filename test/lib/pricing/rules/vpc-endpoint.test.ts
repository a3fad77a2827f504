import { describe, expect, it } from 'vitest';
import { vpcEndpointRule } from '../../../../lib/pricing/rules/vpc-endpoint.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

const endpoint = (size: Record<string, string | number>) =>
  res('AWS::EC2::VPCEndpoint', 'Endpoint', size, 'network');

describe('vpcEndpointRule', () => {
  it.each([
    // 3 AZs × 730 h × $0.01; no bytes through it by default
    [3, {}, 21.9, 0],
    [2, { interfaceEndpointProcessedGbPerMonth: 10 }, 14.6, 0.1],
  ])('bills an interface endpoint in %d AZs with %o', (azs, assumptions, hoursUsd, processingUsd) => {
    const [lines] = priceWith(vpcEndpointRule, [endpoint({ endpointType: 'Interface', azs })], {
      load: idle,
      assumptions,
    });
    expect(summary(lines ?? [])).toEqual([
      ['interface endpoint AZ-hours', azs * 730, expect.closeTo(hoursUsd, 9)],
      ['interface endpoint processing', expect.any(Number), expect.closeTo(processingUsd, 9)],
    ]);
  });

  it('gives a gateway endpoint no line', () => {
    expect(priceWith(vpcEndpointRule, [endpoint({ endpointType: 'Gateway' })])).toEqual([[]]);
  });

  it('rejects an interface endpoint without its AZs, naming the size key', () => {
    expect(() => priceWith(vpcEndpointRule, [endpoint({ endpointType: 'Interface' })])).toThrow(/azs/);
  });
});
