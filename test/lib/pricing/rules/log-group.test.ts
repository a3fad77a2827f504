import { describe, expect, it } from 'vitest';
import { logGroupRule } from '../../../../lib/pricing/rules/log-group.js';
import { MONTH_DAYS, priceWith, res, summary } from './rule-fixtures.js';

const validator = res(
  'AWS::Lambda::Function',
  'Validator',
  { memoryMiB: 1_769, architecture: 'arm64', workload: 'validator' },
  'ingest',
);
const logGroup = (size: Record<string, number> = {}, component = 'ingest') =>
  res('AWS::Logs::LogGroup', 'Logs', size, component);

describe('logGroupRule', () => {
  it.each([
    // 262.8M validator invocations × 1,000 B = 262.8 GB × $0.50; stored 262.8 ÷ 30.42 GB a day,
    // held (30²/2 + 30 × 0.42) ÷ 30.42 days on average with 30-day retention, half the month without.
    [{ retentionDays: 30 }, (450 + 30 * (MONTH_DAYS - 30)) / MONTH_DAYS],
    [{}, MONTH_DAYS / 2],
  ])('takes in its component’s function logs and stores them: %o', (size, daysHeld) => {
    const group = logGroup(size);
    const [lines] = priceWith(logGroupRule, [group], { inventory: [validator, group] });
    const stored = (262.8 / MONTH_DAYS) * daysHeld;
    expect(summary(lines ?? [])).toEqual([
      ['CloudWatch Logs ingestion', expect.closeTo(262.8, 9), expect.closeTo(131.4, 9)],
      ['CloudWatch Logs storage', expect.closeTo(stored, 9), expect.closeTo(stored * 0.03, 9)],
    ]);
  });

  it('gives a log group of a component without load-driven functions no line', () => {
    const group = logGroup({ retentionDays: 30 }, 'network');
    expect(priceWith(logGroupRule, [group], { inventory: [validator, group] })).toEqual([[]]);
  });
});
