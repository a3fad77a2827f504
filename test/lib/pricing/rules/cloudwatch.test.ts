import { describe, expect, it } from 'vitest';
import { alarmRule, compositeAlarmRule, dashboardRule } from '../../../../lib/pricing/rules/cloudwatch.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

const ALARM = 'AWS::CloudWatch::Alarm';

describe('CloudWatch rules', () => {
  it.each([
    [compositeAlarmRule, 'AWS::CloudWatch::CompositeAlarm', 'CloudWatch composite alarm', 0.5],
    [dashboardRule, 'AWS::CloudWatch::Dashboard', 'CloudWatch dashboard', 3],
  ])('bills a flat month for each %#', (rule, type, item, usd) => {
    expect(priceWith(rule, [res(type, 'One')], { load: idle }).map(summary)).toEqual([[[item, 1, usd]]]);
  });

  it.each([
    ['a standard alarm on one metric', { metrics: 1, highResolution: 0 }, ['CloudWatch alarm', 1, 0.1]],
    ['a metric-math alarm over 3 metrics', { metrics: 3, highResolution: 0 }, ['CloudWatch alarm', 3, 0.3]],
    [
      'a high-resolution alarm on 2 metrics',
      { metrics: 2, highResolution: 1 },
      ['CloudWatch alarm (high resolution)', 2, 0.6],
    ],
    ['an alarm without sizes: one standard metric', {}, ['CloudWatch alarm', 1, 0.1]],
  ])('bills %s per metric a month', (_name, size, line) => {
    const [lines] = priceWith(alarmRule, [res(ALARM, 'Alarm', size)], { load: idle });
    expect(summary(lines ?? [])).toEqual([[line[0], line[1], expect.closeTo(line[2] as number, 12)]]);
  });
});
