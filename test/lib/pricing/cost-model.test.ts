import { describe, expect, it } from 'vitest';
import {
  averageDaysHeld,
  type BillableResource,
  type CostLine,
  costPerMillionEvents,
  type Load,
  monthlyCost,
  projection,
  totalMonthlyUsd,
} from '../../../lib/pricing/cost-model.js';
import { pricesFor } from '../../../lib/pricing/prices.js';

const prices = pricesFor('us-east-1');
const res = (type: string, logicalId: string, component: string, size: BillableResource['size'] = {}) => ({
  type,
  logicalId,
  component,
  size,
});

/** The issue's example: 50K events/s of 5.3 KB events in 500-event gzip batches at 5:1. */
const issueLoad: Load = { eventsPerSec: 50_000, eventBytes: 5_300, gzipRatio: 5, eventsPerRequest: 500 };

const ingest: BillableResource[] = [
  res('AWS::ElasticLoadBalancingV2::LoadBalancer', 'Alb1', 'Alb1', { weight: 100 }),
  res('AWS::Lambda::Function', 'Validator', 'Validator', {
    memoryMiB: 1_769,
    architecture: 'arm64',
    workload: 'validator',
  }),
  res('AWS::Kinesis::Stream', 'Stream', 'EventStream', { shardCount: 125, retentionHours: 24 }),
  res('AWS::KinesisFirehose::DeliveryStream', 'Firehose', 'RawArchive', {
    bufferSizeMiB: 128,
    bufferIntervalSec: 60,
  }),
  res('AWS::S3::Bucket', 'Bucket', 'RawArchive', {
    workload: 'archive',
    infrequentAccessAfterDays: 30,
    glacierAfterDays: 90,
    expireAfterDays: 730,
  }),
];

const find = (lines: readonly CostLine[], item: string): CostLine => {
  const line = lines.find((l) => l.item === item);
  if (!line) throw new Error(`no line ${item} in ${lines.map((l) => l.item).join(', ')}`);
  return line;
};

const MONTH_DAYS = 730 / 24; // 30.41666…

describe('monthlyCost at the issue example (50K events/s, 5.3 KB, 500 per request, 5:1)', () => {
  const lines = monthlyCost({ inventory: ingest, load: issueLoad, prices, month: 1 });

  it.each([
    // 730 h × $0.0225
    ['ALB hours', 730, 16.425],
    // 50,000 ÷ 500 = 100 requests/s; a body is 500 × 5,300 B ÷ 5 = 530,000 B.
    // 100 × 530,000 B = 53 MB/s processed → 190.8 GB/h → ÷ 0.4 GB per LCU = 477 LCU
    // (new connections: 1/s ÷ 25 = 0.04; active: 60/min ÷ 3,000 = 0.02; both smaller).
    // 477 LCU × 730 h = 348,210 LCU-h × $0.008 = $2,785.68
    ['ALB LCU-hours (Lambda target)', 348_210, 2_785.68],
    // 100 requests/s × 2,628,000 s = 262.8M requests × $0.20 = $52.56
    ['Lambda requests', 262.8, 52.56],
    // CPU: 500 × 49 µs + 5 ms = 29.5 ms at 1,769 MiB (one vCPU) + 30 ms PutRecords = 59.5 ms → 60 ms billed.
    // 262.8M × 0.060 s × 1,769/1,024 GB = 27,239,835.9 GB-s × $0.0000133334 = $363.20
    [
      'Lambda duration (arm64)',
      262.8e6 * 0.06 * (1_769 / 1_024),
      262.8e6 * 0.06 * (1_769 / 1_024) * 0.000_013_333_4,
    ],
    // 125 shards × 730 h = 91,250 shard-h × $0.015 = $1,368.75
    ['Kinesis shard-hours', 91_250, 1_368.75],
    // A record: 530,000 B body + 200 B header + 64 B partition key = 530,264 B → ceil(÷ 25,000) = 22 units.
    // 100 records/s × 22 × 2,628,000 s = 5,781.6M units × $0.014 = $80.9424
    ['Kinesis PUT payload units', 5_781.6, 80.9424],
    // A Firehose record: 530,200 B → ceil(÷ 5,120) = 104 × 5,120 = 532,480 B billed.
    // 100/s × 532,480 B × 2,628,000 s = 139,935.744 GB × $0.029 = $4,058.136576
    ['Firehose ingestion', 139_935.744, 4_058.136_576],
  ])('%s: %d units, $%d', (item, quantity, usd) => {
    const line = find(lines, item);
    expect(line.quantity).toBeCloseTo(quantity, 4);
    expect(line.monthlyUsd).toBeCloseTo(usd, 4);
    expect(line.formula).not.toBe('');
  });

  it('groups the lines by component, in inventory order', () => {
    const components = lines.map((l) => l.component);
    expect([...new Set(components)]).toEqual(['Alb1', 'Validator', 'EventStream', 'RawArchive']);
    // grouped: a component's lines are contiguous
    expect(components.filter((c, i) => i > 0 && c !== components[i - 1]).length).toBe(3);
  });

  it('totals the sum of its lines', () => {
    const sum = lines.map((l) => l.monthlyUsd).reduce((x, y) => x + y, 0);
    expect(totalMonthlyUsd(lines)).toBe(sum);
    expect(lines.every((l) => Math.abs(l.monthlyUsd - l.quantity * l.unitPriceUsd) < 1e-9)).toBe(true);
  });

  it('gives the cost per million events: total ÷ (50,000 × 2,628,000 ÷ 1e6 = 131,400M events)', () => {
    expect(costPerMillionEvents(lines, issueLoad)).toBeCloseTo(totalMonthlyUsd(lines) / 131_400, 10);
  });

  it('prices ALB processed bytes per ALB by weight: two ALBs at 50:50 carry 238.5 LCU each', () => {
    const two = [
      res('AWS::ElasticLoadBalancingV2::LoadBalancer', 'Alb1', 'Alb1', { weight: 50 }),
      res('AWS::ElasticLoadBalancingV2::LoadBalancer', 'Alb2', 'Alb2', { weight: 50 }),
    ];
    const albLines = monthlyCost({ inventory: two, load: issueLoad, prices, month: 1 }).filter(
      (l) => l.item === 'ALB LCU-hours (Lambda target)',
    );
    expect(albLines.map((l) => l.quantity)).toEqual([
      expect.closeTo(238.5 * 730, 6),
      expect.closeTo(238.5 * 730, 6),
    ]);
  });
});

describe('archive storage through the lifecycle (30 d → IA, 90 d → Glacier, 730 d expiry)', () => {
  // 100 records/s × 530,200 B × 86,400 s = 4,580.928 GB a day reach the bucket.
  const gbPerDay = 4_580.928;
  const storage = (month: number) => {
    const lines = monthlyCost({ inventory: ingest, load: issueLoad, prices, month });
    const qty = (prefix: string) =>
      lines.filter((l) => l.item.startsWith(prefix)).reduce((sum, l) => sum + l.quantity, 0);
    return {
      lines,
      standard: qty('S3 Standard storage'),
      ia: qty('S3 Standard-IA storage'),
      glacier: qty('S3 Glacier Flexible Retrieval storage'),
      toIa: qty('S3 transitions to Standard-IA'),
      toGlacier: qty('S3 transitions to Glacier'),
    };
  };
  // A month is 30.4167 days. Objects: 128 MiB fill in 128 × 1,048,576 ÷ 53,020,000 B/s = 2.5314 s,
  // before the 60 s interval: 86,400 ÷ 2.5314 = 34,131 objects a day.
  const objectsPerDay = 86_400 / ((128 * 1_048_576) / 53_020_000);

  it('month 1: Standard holds on average (30²/2 + 30 × 0.4167) ÷ 30.4167 = 15.2055 days of writes', () => {
    const s = storage(1);
    expect(s.standard).toBeCloseTo(gbPerDay * ((450 + 30 * (MONTH_DAYS - 30)) / MONTH_DAYS), 3);
    // IA: the first 0.4167 day of writes turns 30 days old: 0.4167²/2 ÷ 30.4167
    expect(s.ia).toBeCloseTo(gbPerDay * ((MONTH_DAYS - 30) ** 2 / 2 / MONTH_DAYS), 3);
    expect(s.glacier).toBe(0);
    expect(s.toIa).toBeCloseTo((objectsPerDay * (MONTH_DAYS - 30)) / 1_000, 6);
    // 69,655 GB-mo: the first 50,000 at $0.023, the rest at $0.022
    const standardUsd = s.lines
      .filter((l) => l.item.startsWith('S3 Standard storage'))
      .reduce((sum, l) => sum + l.monthlyUsd, 0);
    expect(standardUsd).toBeCloseTo(50_000 * 0.023 + (s.standard - 50_000) * 0.022, 6);
  });

  it('month 2: Standard holds 30 days; IA (30.8333²/2 − 0.4167²/2) ÷ 30.4167 = 15.625 days', () => {
    const s = storage(2);
    expect(s.standard).toBeCloseTo(gbPerDay * 30, 3);
    expect(s.ia).toBeCloseTo(gbPerDay * 15.625, 3);
    expect(s.glacier).toBe(0);
    expect(s.toIa).toBeCloseTo((objectsPerDay * MONTH_DAYS) / 1_000, 6);
  });

  it('month 13: 30 days in Standard, 60 in IA, Glacier ages 275–305.4 days: 290.21 on average', () => {
    const s = storage(13);
    expect(s.standard).toBeCloseTo(gbPerDay * 30, 3);
    expect(s.ia).toBeCloseTo(gbPerDay * 60, 3);
    // days 365–395.4167 since the first write, minus 90: 275 → 305.4167, average 290.2083
    expect(s.glacier).toBeCloseTo(gbPerDay * (275 + MONTH_DAYS / 2), 3);
    expect(s.toIa).toBeCloseTo((objectsPerDay * MONTH_DAYS) / 1_000, 6);
    expect(s.toGlacier).toBeCloseTo((objectsPerDay * MONTH_DAYS) / 1_000, 6);
  });

  it('projects 12 months whose totals grow as storage accumulates', () => {
    const months = projection(ingest, issueLoad, prices, 12);
    expect(months.map((m) => m.month)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (let i = 1; i < months.length; i++) {
      expect(months[i]?.totalUsd).toBeGreaterThan(months[i - 1]?.totalUsd ?? Number.POSITIVE_INFINITY);
    }
    expect(months[0]?.totalUsd).toBeCloseTo(totalMonthlyUsd(storage(1).lines), 6);
  });

  it.each([
    // [t0, t1, from, to, expected average]
    [0, 10, 0, 100, 5],
    [0, 10, 0, 4, (16 / 2 + 4 * 6) / 10],
    [20, 30, 0, 10, 10],
    [0, 10, 20, 30, 0],
  ])('averageDaysHeld(%d, %d, %d, %d) = %d', (t0, t1, from, to, expected) => {
    expect(averageDaysHeld(t0, t1, from, to)).toBeCloseTo(expected, 10);
  });
});

describe('fixed costs', () => {
  it.each([
    // 730 h × $0.17 = $124.10; 1,000 GiB × $0.08 = $80; 3,000 IOPS and 125 MiB/s are included
    [
      { instanceType: 'c5.xlarge', volumeGiB: 1_000, volumeIops: 3_000, volumeThroughputMiBps: 125 },
      124.1 + 80,
    ],
    // 730 × $0.34 = $248.20; 4,000 × $0.08 = $320; 3,000 IOPS × $0.005 = $15; 125 MiB/s × $0.04 = $5
    [
      { instanceType: 'c5.2xlarge', volumeGiB: 4_000, volumeIops: 6_000, volumeThroughputMiBps: 250 },
      248.2 + 320 + 15 + 5,
    ],
    // 730 × $0.0208 = $15.184
    [{ instanceType: 't3.small' }, 15.184],
  ])('prices an instance %o at $%d a month', (size, usd) => {
    const lines = monthlyCost({
      inventory: [res('AWS::EC2::Instance', 'Node', 'ClickHouse', size)],
      load: issueLoad,
      prices,
      month: 1,
    });
    expect(totalMonthlyUsd(lines)).toBeCloseTo(usd, 6);
  });

  it.each([
    // 730 × $0.045; processing assumed 0 GB
    [res('AWS::EC2::NatGateway', 'Nat', 'Network'), 32.85],
    // 3 AZs × 730 h × $0.01
    [res('AWS::EC2::VPCEndpoint', 'Endpoint', 'Network', { endpointType: 'Interface', azs: 3 }), 21.9],
    [res('AWS::EC2::VPCEndpoint', 'S3Endpoint', 'Network', { endpointType: 'Gateway' }), 0],
    // 730 × $0.005
    [res('AWS::EC2::EIP', 'NatIp', 'Network'), 3.65],
    [res('AWS::Route53::HostedZone', 'Zone', 'Dns'), 0.5],
    [res('AWS::Route53::HealthCheck', 'Check', 'Dns'), 0.5],
    [res('AWS::SecretsManager::Secret', 'Secret', 'ClickHouse'), 0.4],
    [res('AWS::KMS::Key', 'Key', 'RawArchive'), 1],
    [res('AWS::CloudWatch::Alarm', 'Alarm', 'Alarms'), 0.1],
    // 1 GB storage × $0.25 + point-in-time recovery on it, 1 GB × $0.20
    [res('AWS::DynamoDB::Table', 'Keys', 'ApiKeys', { pointInTimeRecovery: 1 }), 0.25 + 0.2],
    [res('AWS::DynamoDB::Table', 'Keys', 'ApiKeys', { pointInTimeRecovery: 0 }), 0.25],
    // Assumed 1 GB of REJECT records × $0.50 vended ingestion; storage averages half the month's
    // 1 GB with 30-day retention over days 0–30.42: (30²/2 + 30 × 0.42) ÷ 30.42 days × 1/30.42 GB/day.
    [
      res('AWS::EC2::FlowLog', 'FlowLog', 'Network', {
        destinationType: 'cloud-watch-logs',
        trafficType: 'REJECT',
        retentionDays: 30,
      }),
      0.5 + ((30 ** 2 / 2 + 30 * (MONTH_DAYS - 30)) / MONTH_DAYS / MONTH_DAYS) * 0.03,
    ],
    [res('AWS::CertificateManager::Certificate', 'Cert', 'Certificate', { free: 'public' }), 0],
    [res('AWS::Budgets::Budget', 'Budget', 'Budget', { count: 1, free: 'no actions' }), 0],
    [res('AWS::Lambda::EventSourceMapping', 'Mapping', 'Loader', { batchSize: 100, free: 'via Lambda' }), 0],
    // 125 shards × 730 h × $0.02 extended retention on top of $1,368.75, no load
    [
      res('AWS::Kinesis::Stream', 'Stream', 'EventStream', { shardCount: 125, retentionHours: 48 }),
      1_368.75 + 1_825,
    ],
  ])('prices %o', (resource, usd) => {
    const load = { ...issueLoad, eventsPerSec: 0 };
    expect(totalMonthlyUsd(monthlyCost({ inventory: [resource], load, prices, month: 1 }))).toBeCloseTo(
      usd,
      6,
    );
  });
});

describe('monthlyCost failures', () => {
  it('rejects an instance type without a price, naming the type and the region', () => {
    const inventory = [res('AWS::EC2::Instance', 'Node', 'ClickHouse', { instanceType: 'x9.huge' })];
    expect(() => monthlyCost({ inventory, load: issueLoad, prices, month: 1 })).toThrow(
      /x9\.huge.*us-east-1/,
    );
  });

  it('rejects an EBS volume type without a price, naming it', () => {
    const inventory = [res('AWS::EC2::Volume', 'Data', 'ClickHouse', { volumeType: 'io2', volumeGiB: 100 })];
    expect(() => monthlyCost({ inventory, load: issueLoad, prices, month: 1 })).toThrow(/io2.*us-east-1/);
  });

  it.each([
    ['eventsPerSec', -1],
    ['eventBytes', 0],
    ['gzipRatio', -5],
    ['eventsPerRequest', Number.NaN],
  ])('rejects a load with %s = %d', (key, value) => {
    const load = { ...issueLoad, [key]: value };
    expect(() => monthlyCost({ inventory: ingest, load, prices, month: 1 })).toThrow(new RegExp(key));
  });

  it('rejects month 0', () => {
    expect(() => monthlyCost({ inventory: ingest, load: issueLoad, prices, month: 0 })).toThrow(/month/);
  });

  it('rejects a resource type without a cost rule, naming it', () => {
    const inventory = [res('AWS::RDS::DBInstance', 'Db', 'Db')];
    expect(() => monthlyCost({ inventory, load: issueLoad, prices, month: 1 })).toThrow(
      /AWS::RDS::DBInstance/,
    );
  });

  it('lists the query function at $0 by default and bills it at an assumed query rate', () => {
    const query = [
      res('AWS::Lambda::Function', 'Query', 'Query', {
        memoryMiB: 1_024,
        architecture: 'arm64',
        workload: 'query',
      }),
    ];
    const idle = monthlyCost({ inventory: query, load: issueLoad, prices, month: 1 });
    expect(idle.map((l) => [l.item, l.monthlyUsd])).toEqual([
      ['Lambda requests', 0],
      ['Lambda duration (arm64)', 0],
    ]);
    // 10 requests/s × 2,628,000 s = 26.28M requests × $0.20 = $5.256;
    // 26.28M × 0.5 s × 1 GB = 13.14M GB-s × $0.0000133334 = $175.20
    const busy = monthlyCost({
      inventory: query,
      load: issueLoad,
      prices,
      month: 1,
      assumptions: { queryRequestsPerSec: 10 },
    });
    expect(find(busy, 'Lambda requests').monthlyUsd).toBeCloseTo(5.256, 6);
    expect(find(busy, 'Lambda duration (arm64)').monthlyUsd).toBeCloseTo(13.14e6 * 0.000_013_333_4, 6);
  });

  it('bills action-enabled budgets beyond the first two at $0.10 a day', () => {
    const budgets = [1, 2, 3].map((i) => res('AWS::Budgets::Budget', `Budget${i}`, 'Budget', { actions: 1 }));
    const lines = monthlyCost({ inventory: budgets, load: issueLoad, prices, month: 1 });
    expect(lines.map((l) => [l.item, l.quantity])).toEqual([
      ['AWS Budgets action-enabled budget', expect.closeTo(MONTH_DAYS, 10)],
    ]);
    expect(totalMonthlyUsd(lines)).toBeCloseTo(MONTH_DAYS * 0.1, 10);
  });

  it.each([
    [{ destinationType: 's3', trafficType: 'REJECT' }, /s3/],
    [{ destinationType: 'cloud-watch-logs', trafficType: 'ALL' }, /ALL/],
  ])('rejects a flow log other than REJECT into CloudWatch Logs (%o)', (size, message) => {
    const inventory = [res('AWS::EC2::FlowLog', 'FlowLog', 'Network', size)];
    expect(() => monthlyCost({ inventory, load: issueLoad, prices, month: 1 })).toThrow(message);
  });

  it('rejects a private CA certificate, which has no price yet', () => {
    const inventory = [
      res('AWS::CertificateManager::Certificate', 'Cert', 'Certificate', { certificate: 'private' }),
    ];
    expect(() => monthlyCost({ inventory, load: issueLoad, prices, month: 1 })).toThrow(/private CA/);
  });

  it('fails to give a cost per million events at 0 events/s', () => {
    expect(() => costPerMillionEvents([], { ...issueLoad, eventsPerSec: 0 })).toThrow(/0 events/);
  });
});
