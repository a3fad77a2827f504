import { describe, expect, it } from 'vitest';
import { monthlyCost, totalMonthlyUsd } from '../../../lib/pricing/cost-model.js';
import { CLICKHOUSE_COLD_WORKLOAD } from '../../../lib/pricing/cost-tags.js';
import { firstMonthFrom, steadyState } from '../../../lib/pricing/steady-state.js';
import { issueLoad, prices, res } from './rules/rule-fixtures.js';

const firehose = res(
  'AWS::KinesisFirehose::DeliveryStream',
  'Firehose',
  { bufferSizeMiB: 128, bufferIntervalSec: 60 },
  'archive',
);
const archive = res(
  'AWS::S3::Bucket',
  'Archive',
  { workload: 'archive', infrequentAccessAfterDays: 30, deepArchiveAfterDays: 90, expireAfterDays: 730 },
  'archive',
);
// Rows 2 days hot, then on the S3 disk until day 2 + 88 = 90.
const cold = res(
  'AWS::S3::Bucket',
  'Cold',
  { workload: CLICKHOUSE_COLD_WORKLOAD, hotDays: 2, warmDays: 88, bodiesDays: 7, ttlMergeTimeoutSec: 1_800 },
  'analytics',
);
const volumes = [1, 2, 3].map((shard) =>
  res(
    'AWS::EC2::Volume',
    `ClickHouseShard${shard}Replica1Data`,
    { volumeType: 'gp3', volumeGiB: 10_000, clickHouseShard: shard, clickHouseReplica: 1 },
    'analytics',
  ),
);

const total = (inventory: Parameters<typeof steadyState>[0], month: number) =>
  totalMonthlyUsd(monthlyCost({ inventory, load: issueLoad, prices, month }));

describe('firstMonthFrom', () => {
  it.each([
    [0, 1],
    // Month 2 starts at day 30.4167.
    [730 / 24, 2],
    [31, 3],
    // 90 ÷ 30.4167 = 2.96: month 4 starts at day 91.25.
    [90, 4],
    // 365 days are exactly 12 months of 730 h.
    [365, 13],
    // 730 days are exactly 24: month 25 is the first to start after them.
    [730, 25],
  ])('%d days → month %i', (days, month) => {
    expect(firstMonthFrom(days)).toBe(month);
  });
});

describe('steadyState', () => {
  const full = [firehose, archive, ...volumes, cold];

  it('reaches it in month 25 when the archive expires at 730 days, the longest horizon', () => {
    expect(steadyState(full, issueLoad, prices)).toEqual({ month: 25, horizonDays: 730 });
    expect(total(full, 26)).toBeCloseTo(total(full, 25), 6);
    expect(total(full, 40)).toBeCloseTo(total(full, 25), 6);
    // Month 24 (days 699.6–730) still fills Deep Archive.
    expect(total(full, 24)).toBeLessThan(total(full, 25));
  });

  it("without the archive, the S3 disk's last band (the delete at day 90) decides: month 4", () => {
    const inventory = [...volumes, cold];
    expect(steadyState(inventory, issueLoad, prices)).toEqual({ month: 4, horizonDays: 90 });
    expect(total(inventory, 5)).toBeCloseTo(total(inventory, 4), 6);
    expect(total(inventory, 3)).toBeLessThan(total(inventory, 4));
  });

  it("takes a flow log's destination retention, and nothing is steady when it keeps them forever", () => {
    const flowLog = (size: Record<string, number | string>) =>
      res(
        'AWS::EC2::FlowLog',
        'FlowLog',
        { destinationType: 'cloud-watch-logs', trafficType: 'REJECT', ...size },
        'network',
      );
    expect(steadyState([...volumes, cold, flowLog({ retentionDays: 365 })], issueLoad, prices)).toEqual({
      month: 13,
      horizonDays: 365,
    });
    expect(steadyState([...volumes, cold, flowLog({})], issueLoad, prices)).toBeNull();
  });

  it('ignores a log group no load writes to, kept forever or not', () => {
    const quiet = res('AWS::Logs::LogGroup', 'Quiet', { logGroupClass: 'STANDARD' }, 'analytics');
    expect(steadyState([firehose, archive, quiet], issueLoad, prices)).toEqual({
      month: 25,
      horizonDays: 730,
    });
  });

  it('is month 1 for what does not accumulate', () => {
    expect(steadyState([...volumes], issueLoad, prices)).toEqual({ month: 1, horizonDays: 0 });
  });
});
