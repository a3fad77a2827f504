/** CloudWatch alarms and dashboards (log groups: `lib/pricing/rules/log-group.ts`; custom metrics: the Lambda rule). */
import { sizeNumber } from '../billable-resource.js';
import { costLine } from '../cost-line.js';
import { monthlyFee, perResource } from './rule.js';

/**
 * `AWS::CloudWatch::Alarm`: a month per metric it watches (a metric-math alarm: each metric of its
 * expression; an anomaly detection alarm: three), high resolution at its own price. Size keys:
 * `metrics` (default 1), `highResolution` (1 or 0).
 */
export const alarmRule = perResource((r, { prices }) => {
  const metrics = sizeNumber(r, 'metrics', 1);
  const high = sizeNumber(r, 'highResolution', 0) === 1;
  return [
    costLine(
      r,
      high ? 'CloudWatch alarm (high resolution)' : 'CloudWatch alarm',
      metrics,
      high ? prices.cloudWatch.highResolutionAlarmMonth : prices.cloudWatch.alarmMonth,
      `${metrics} ${high ? 'high' : 'standard'}-resolution alarm metric${metrics === 1 ? '' : 's'}`,
    ),
  ];
});

/** `AWS::CloudWatch::CompositeAlarm`: a flat month, whatever alarms its rule names. */
export const compositeAlarmRule = monthlyFee(
  'CloudWatch composite alarm',
  (p) => p.cloudWatch.compositeAlarmMonth,
  '1 composite alarm',
);

/**
 * `AWS::CloudWatch::Dashboard`: a flat month each. The free tier's 3 dashboards are an account's,
 * shared with whatever else it runs; like every free tier here, they are not counted.
 */
export const dashboardRule = monthlyFee(
  'CloudWatch dashboard',
  (p) => p.cloudWatch.dashboardMonth,
  '1 dashboard (the free tier’s 3 per account not counted)',
);
