import { describe, expect, it } from 'vitest';
import { flowLogRule } from '../../../../lib/pricing/rules/flow-log.js';
import { idle, MONTH_DAYS, priceWith, res, summary } from './rule-fixtures.js';

const flowLog = (size: Record<string, string | number>) =>
  res('AWS::EC2::FlowLog', 'FlowLog', size, 'network');
const REJECT = { destinationType: 'cloud-watch-logs', trafficType: 'REJECT' };

describe('flowLogRule', () => {
  it.each([
    // 1 GB assumed × $0.50 vended; stored 1/30.42 GB a day, held on average over days 0–30.42:
    // (30²/2 + 30 × 0.42) ÷ 30.42 days with 30-day retention, half the month kept forever.
    [{ ...REJECT, retentionDays: 30 }, (30 ** 2 / 2 + 30 * (MONTH_DAYS - 30)) / MONTH_DAYS / MONTH_DAYS],
    [REJECT, 0.5],
  ])('bills REJECT records into CloudWatch Logs: %o', (size, storedGbMonth) => {
    const [lines] = priceWith(flowLogRule, [flowLog(size)], { load: idle });
    expect(summary(lines ?? [])).toEqual([
      ['VPC flow logs (vended to CloudWatch Logs)', 1, 0.5],
      ['VPC flow log storage', expect.closeTo(storedGbMonth, 10), expect.closeTo(storedGbMonth * 0.03, 10)],
    ]);
  });

  it.each([
    [{ destinationType: 's3', trafficType: 'REJECT' }, /REJECT into s3/],
    [{ destinationType: 'cloud-watch-logs', trafficType: 'ALL' }, /ALL into cloud-watch-logs/],
    [{}, /ALL into cloud-watch-logs/],
  ])('rejects a flow log other than REJECT into CloudWatch Logs (%o)', (size, message) => {
    expect(() => priceWith(flowLogRule, [flowLog(size)])).toThrow(message);
  });
});
