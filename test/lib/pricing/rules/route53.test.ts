import { describe, expect, it } from 'vitest';
import { healthCheckRule, hostedZoneRule, recordSetRule } from '../../../../lib/pricing/rules/route53.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

describe('Route 53 rules', () => {
  it.each([
    [hostedZoneRule, 'AWS::Route53::HostedZone', 'Route 53 hosted zone'],
    [healthCheckRule, 'AWS::Route53::HealthCheck', 'Route 53 health check'],
  ])('bills $0.50 a month for each %#', (rule, type, item) => {
    expect(priceWith(rule, [res(type, 'A'), res(type, 'B')], { load: idle }).map(summary)).toEqual([
      [[item, 1, 0.5]],
      [[item, 1, 0.5]],
    ]);
  });

  it('gives record sets no line', () => {
    const record = res('AWS::Route53::RecordSet', 'Record', { recordType: 'A', weighted: 0 });
    expect(priceWith(recordSetRule, [record])).toEqual([[]]);
  });
});
