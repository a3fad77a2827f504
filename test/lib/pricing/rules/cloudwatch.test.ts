import { describe, expect, it } from 'vitest';
import { alarmRule, dashboardRule } from '../../../../lib/pricing/rules/cloudwatch.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

describe('CloudWatch rules', () => {
  it.each([
    [alarmRule, 'AWS::CloudWatch::Alarm', 'CloudWatch alarm', 0.1],
    [dashboardRule, 'AWS::CloudWatch::Dashboard', 'CloudWatch dashboard', 3],
  ])('bills a flat month for each %#', (rule, type, item, usd) => {
    expect(priceWith(rule, [res(type, 'One')], { load: idle }).map(summary)).toEqual([[[item, 1, usd]]]);
  });
});
