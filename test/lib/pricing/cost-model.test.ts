import { describe, expect, it } from 'vitest';
import type { BillableResource } from '../../../lib/pricing/billable-resource.js';
import {
  costPerMillionEvents,
  monthContext,
  monthlyCost,
  projection,
  totalMonthlyUsd,
} from '../../../lib/pricing/cost-model.js';
import type { Load } from '../../../lib/pricing/load.js';
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
  res('AWS::Logs::LogGroup', 'ValidatorLogs', 'Validator', { retentionDays: 30 }),
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

describe('monthlyCost at the issue example (50K events/s, 5.3 KB, 500 per request, 5:1)', () => {
  const lines = monthlyCost({ inventory: ingest, load: issueLoad, prices, month: 1 });

  it('runs the rule of each resource, its lines grouped by component in inventory order', () => {
    expect(lines.map((l) => [l.component, l.item])).toEqual([
      ['Validator', 'Lambda requests'],
      ['Validator', 'Lambda duration (arm64)'],
      // A log group's lines follow those of the functions whose logs it takes.
      ['Validator', 'CloudWatch Logs ingestion'],
      ['Validator', 'CloudWatch Logs storage'],
      ['Alb1', 'ALB hours'],
      ['Alb1', 'ALB LCU-hours (Lambda target)'],
      ['EventStream', 'Kinesis shard-hours'],
      ['EventStream', 'Kinesis PUT payload units'],
      ['RawArchive', 'Firehose ingestion'],
      ['RawArchive', 'S3 PUTs (Firehose objects)'],
      ['RawArchive', 'S3 Standard storage'],
      ['RawArchive', 'S3 Standard storage (band 2)'],
      ['RawArchive', 'S3 Standard-IA storage'],
      ['RawArchive', 'S3 transitions to Standard-IA'],
    ]);
  });

  it('totals the sum of its lines, each quantity × unit price', () => {
    const sum = lines.map((l) => l.monthlyUsd).reduce((x, y) => x + y, 0);
    expect(totalMonthlyUsd(lines)).toBe(sum);
    expect(lines.every((l) => Math.abs(l.monthlyUsd - l.quantity * l.unitPriceUsd) < 1e-9)).toBe(true);
  });

  it('gives the cost per million events: total ÷ (50,000 × 2,628,000 ÷ 1e6 = 131,400M events)', () => {
    expect(costPerMillionEvents(lines, issueLoad)).toBeCloseTo(totalMonthlyUsd(lines) / 131_400, 10);
  });

  it('gives free resources, deploy-time functions and custom resources no line', () => {
    const quiet = [
      res('AWS::CertificateManager::Certificate', 'Cert', 'Certificate', { free: 'public' }),
      res('AWS::Budgets::Budget', 'Budget', 'Budget', { count: 1, free: 'no actions' }),
      res('AWS::Lambda::EventSourceMapping', 'Mapping', 'Loader', { batchSize: 100, free: 'via Lambda' }),
      res('AWS::Lambda::Function', 'Migrate', 'ClickHouse', { memoryMiB: 128 }),
      res('Custom::ClickHouseMigrations', 'Migrations', 'ClickHouse'),
      res('AWS::CloudFormation::CustomResource', 'Resource', 'ClickHouse'),
    ];
    expect(monthlyCost({ inventory: quiet, load: issueLoad, prices, month: 1 })).toEqual([]);
  });
});

describe('monthContext', () => {
  it('follows the month billed in days since the first write', () => {
    const context = monthContext({ inventory: ingest, load: issueLoad, prices, month: 13 });
    expect(context.startDay).toBeCloseTo(365, 10);
    expect(context.endDay).toBeCloseTo(365 + 730 / 24, 10);
  });

  it("reads the inventory's sizes into the capacity tier and takes the load's event, batch and compression", () => {
    const context = monthContext({ inventory: ingest, load: issueLoad, prices, month: 1 });
    expect(context.tier.stream).toMatchObject({ shardCount: 125 });
    expect(context.tier.archive).toMatchObject({ bufferSizeMiB: 128, bufferIntervalSec: 60 });
    expect(context.capacity).toEqual({
      eventsPerSec: 50_000,
      assumptions: { eventBytes: 5_300, gzipRatio: 5, eventsPerRequest: 500 },
    });
  });

  it('counts the invocations the log groups take in, by component', () => {
    const context = monthContext({ inventory: ingest, load: issueLoad, prices, month: 1 });
    expect([...context.invocationsByComponent]).toEqual([['Validator', expect.closeTo(262.8e6, 3)]]);
  });

  it('overrides the cost assumptions it is given, and only those', () => {
    const context = monthContext({
      inventory: [],
      load: issueLoad,
      prices,
      month: 1,
      assumptions: { queryRequestsPerSec: 10 },
    });
    expect(context.assumptions).toMatchObject({ queryRequestsPerSec: 10, queryDurationSec: 0.5 });
  });
});

describe('projection', () => {
  it('projects 12 months whose totals grow as storage accumulates', () => {
    const months = projection(ingest, issueLoad, prices, 12);
    expect(months.map((m) => m.month)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (let i = 1; i < months.length; i++) {
      expect(months[i]?.totalUsd).toBeGreaterThan(months[i - 1]?.totalUsd ?? Number.POSITIVE_INFINITY);
    }
    const month1 = monthlyCost({ inventory: ingest, load: issueLoad, prices, month: 1 });
    expect(months[0]?.totalUsd).toBe(totalMonthlyUsd(month1));
  });

  it.each([0, 1.5])('rejects %d months', (months) => {
    expect(() => projection(ingest, issueLoad, prices, months)).toThrow(/months/);
  });
});

describe('monthlyCost failures', () => {
  it.each([
    ['eventsPerSec', -1],
    ['eventBytes', 0],
    ['gzipRatio', -5],
    ['eventsPerRequest', Number.NaN],
  ])('rejects a load with %s = %d', (key, value) => {
    const load = { ...issueLoad, [key]: value };
    expect(() => monthlyCost({ inventory: ingest, load, prices, month: 1 })).toThrow(new RegExp(key));
  });

  it.each([0, 1.5])('rejects month %d', (month) => {
    expect(() => monthlyCost({ inventory: ingest, load: issueLoad, prices, month })).toThrow(/month/);
  });

  it('rejects a resource type without a cost rule, naming it', () => {
    const inventory = [res('AWS::RDS::DBInstance', 'Db', 'Db')];
    expect(() => monthlyCost({ inventory, load: issueLoad, prices, month: 1 })).toThrow(
      /AWS::RDS::DBInstance Db: no cost rule/,
    );
  });

  it("passes on a rule's refusal, naming the resource", () => {
    const inventory = [res('AWS::EC2::Instance', 'Node', 'ClickHouse', { instanceType: 'x9.huge' })];
    expect(() => monthlyCost({ inventory, load: issueLoad, prices, month: 1 })).toThrow(/Node.*x9\.huge/);
  });

  it('fails to give a cost per million events at 0 events/s', () => {
    expect(() => costPerMillionEvents([], { ...issueLoad, eventsPerSec: 0 })).toThrow(/0 events/);
  });
});
