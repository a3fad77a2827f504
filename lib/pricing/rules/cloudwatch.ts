/** CloudWatch alarms and dashboards: monthly fees (log groups: `lib/pricing/rules/log-group.ts`). */
import { monthlyFee } from './rule.js';

/** `AWS::CloudWatch::Alarm`. */
export const alarmRule = monthlyFee(
  'CloudWatch alarm',
  (p) => p.cloudWatch.alarmMonth,
  '1 standard-resolution alarm',
);

/** `AWS::CloudWatch::Dashboard`. */
export const dashboardRule = monthlyFee(
  'CloudWatch dashboard',
  (p) => p.cloudWatch.dashboardMonth,
  '1 dashboard',
);
