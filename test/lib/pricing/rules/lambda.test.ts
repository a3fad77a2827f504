import { describe, expect, it } from 'vitest';
import { loaderFigures } from '../../../../lib/capacity.js';
import { capacityTier } from '../../../../lib/pricing/capacity-tier.js';
import { monthContext } from '../../../../lib/pricing/cost-model.js';
import { invocationsByComponent, lambdaRule } from '../../../../lib/pricing/rules/lambda.js';
import { issueLoad, prices, priceWith, res, summary } from './rule-fixtures.js';

const FN = 'AWS::Lambda::Function';
const SEC_PER_MONTH = 2_628_000;
const validator = (size: Record<string, string | number> = {}) =>
  res(FN, 'Validator', { memoryMiB: 1_769, architecture: 'arm64', workload: 'validator', ...size }, 'ingest');
const query = res(FN, 'Query', { memoryMiB: 1_024, architecture: 'arm64', workload: 'query' }, 'query');

describe('lambdaRule', () => {
  it('bills the validator one request per batch, at its duration from capacity, rounded up to the ms', () => {
    // 100 requests/s × 2,628,000 s = 262.8M × $0.20 = $52.56. CPU: 500 × 49 µs + 5 ms = 29.5 ms at
    // 1,769 MiB (one vCPU) + 30 ms PutRecords = 59.5 ms → 60 ms billed × 1,769/1,024 GB.
    const gbSec = 262.8e6 * 0.06 * (1_769 / 1_024);
    expect(summary(priceWith(lambdaRule, [validator()])[0] ?? [])).toEqual([
      ['Lambda requests', expect.closeTo(262.8, 9), expect.closeTo(52.56, 9)],
      ['Lambda duration (arm64)', expect.closeTo(gbSec, 3), expect.closeTo(gbSec * 0.000_013_333_4, 6)],
    ]);
  });

  it.each([
    ['arm64', 0.000_013_333_4],
    ['x86_64', 0.000_016_666_7],
  ])('prices %s GB-seconds at its own price', (architecture, usd) => {
    const [lines] = priceWith(lambdaRule, [validator({ architecture })]);
    expect(lines?.[1]).toMatchObject({ item: `Lambda duration (${architecture})`, unitPriceUsd: usd });
  });

  it('bills X-Ray for a traced function: the first request each second and 5% of the rest', () => {
    // (1 + 0.05 × 99) = 5.95 traces/s × 2,628,000 s = 15.6366M × $5
    const [lines] = priceWith(lambdaRule, [validator({ tracing: 'Active' })]);
    expect(summary(lines ?? [])[2]).toEqual([
      'X-Ray traces recorded',
      expect.closeTo(15.6366, 9),
      expect.closeTo(78.183, 9),
    ]);
  });

  it('lists the query function at $0 by default and bills it at an assumed query rate', () => {
    expect(summary(priceWith(lambdaRule, [query])[0] ?? [])).toEqual([
      ['Lambda requests', 0, 0],
      ['Lambda duration (arm64)', 0, 0],
    ]);
    // 10 requests/s × 2,628,000 s = 26.28M × $0.20 = $5.256; × 0.5 s × 1 GB = 13.14M GB-s
    const busy = priceWith(lambdaRule, [query], { assumptions: { queryRequestsPerSec: 10 } })[0] ?? [];
    expect(summary(busy)).toEqual([
      ['Lambda requests', expect.closeTo(26.28, 9), expect.closeTo(5.256, 9)],
      ['Lambda duration (arm64)', expect.closeTo(13.14e6, 3), expect.closeTo(13.14e6 * 0.000_013_333_4, 6)],
    ]);
  });

  it.each([
    [0.05, 0.05],
    [0.0501, 0.051],
    [0.0004, 0.001],
  ])('bills a %d s invocation as %d s (per millisecond, rounded up)', (durationSec, billedSec) => {
    const assumptions = { queryRequestsPerSec: 1, queryDurationSec: durationSec };
    const [lines] = priceWith(lambdaRule, [query], { assumptions });
    expect(lines?.[1]?.quantity).toBeCloseTo(SEC_PER_MONTH * billedSec, 6);
  });

  it('bills the loader one invocation per insert at the inventory’s stream and batching', () => {
    const loader = res(
      FN,
      'Loader',
      { memoryMiB: 1_024, architecture: 'arm64', workload: 'loader' },
      'loader',
    );
    const inventory = [
      res('AWS::Kinesis::Stream', 'Stream', { shardCount: 3, retentionHours: 24 }, 'stream'),
      res(
        'AWS::Lambda::EventSourceMapping',
        'Mapping',
        { batchSize: 100, maxBatchingWindowSec: 5, parallelizationFactor: 1, free: 'via Lambda' },
        'loader',
      ),
      loader,
    ];
    const { insertsPerSec } = loaderFigures(capacityTier(inventory), {
      eventsPerSec: issueLoad.eventsPerSec,
      assumptions: { eventBytes: 5_300, gzipRatio: 5, eventsPerRequest: 500 },
    });
    const [lines] = priceWith(lambdaRule, [loader], { inventory });
    expect(insertsPerSec).toBeGreaterThan(0);
    expect(lines?.[0]?.quantity).toBeCloseTo((insertsPerSec * SEC_PER_MONTH) / 1e6, 9);
    expect(lines?.[0]?.formula).toContain('× 3 shards');
  });

  it('gives a function without a workload (it runs at deploy) no line', () => {
    expect(priceWith(lambdaRule, [res(FN, 'Migrate', { memoryMiB: 128 })])).toEqual([[]]);
  });

  it('rejects an unknown workload, naming it', () => {
    expect(() => priceWith(lambdaRule, [validator({ workload: 'batch' })])).toThrow(/unknown workload batch/);
  });
});

describe('invocationsByComponent', () => {
  it('sums the month’s invocations of the load-driven functions by component', () => {
    const functions = [
      validator(),
      res(FN, 'Validator2', { memoryMiB: 1_769, workload: 'validator' }, 'ingest'),
      res(FN, 'Migrate', { memoryMiB: 128 }, 'analytics'),
    ];
    const context = monthContext({ inventory: functions, load: issueLoad, prices, month: 1 });
    expect([...invocationsByComponent(functions, context)]).toEqual([
      ['ingest', expect.closeTo(2 * 262.8e6, 3)],
    ]);
  });

  it.each([
    // The catalog's 9 names less EventsRejectedByReason, which is 7 (one per reason), + 8 Status<code>.
    ['validator', 'ingest', 23],
    // RecordsLoaded … LoadLagMs.
    ['loader', 'loader', 7],
    // No query traffic is assumed: QueryRequests and QueryLatency of the health route.
    ['query', 'query', 2],
  ])('bills the %s its custom metrics, $0.30 a month each', (fn, component, count) => {
    const r = res(FN, 'Fn', { memoryMiB: 1_024, architecture: 'arm64', function: fn }, component);
    const [lines] = priceWith(lambdaRule, [r]);
    expect(summary(lines ?? [])).toEqual([
      ['CloudWatch custom metrics (EMF)', count, expect.closeTo(count * 0.3, 9)],
    ]);
  });

  it("bills the query's metrics per route and error status once query traffic is assumed", () => {
    // (2 names + 7 statuses) × 10 routes = 90 × $0.30 = $27.
    const r = res(FN, 'Query', { memoryMiB: 1_024, function: 'query' }, 'query');
    const [lines] = priceWith(lambdaRule, [r], { assumptions: { queryRequestsPerSec: 1 } });
    expect(summary(lines ?? [])).toEqual([['CloudWatch custom metrics (EMF)', 90, expect.closeTo(27, 9)]]);
  });

  it("bills the health function's metrics per ClickHouse data node of the inventory", () => {
    // 2 shards × 2 replicas = 4 nodes × (7 per node + DiskFreeRatio of 1 disk) = 32 × $0.30 = $9.60.
    const volumes = [1, 2].flatMap((shard) =>
      [1, 2].map((replica) =>
        res('AWS::EC2::Volume', `V${shard}${replica}`, {
          volumeType: 'gp3',
          volumeGiB: 100,
          clickHouseShard: shard,
          clickHouseReplica: replica,
        }),
      ),
    );
    const health = res(
      FN,
      'Health',
      { memoryMiB: 256, architecture: 'arm64', function: 'health' },
      'analytics',
    );
    const [lines] = priceWith(lambdaRule, [health], { inventory: [health, ...volumes] });
    expect(summary(lines ?? [])).toEqual([['CloudWatch custom metrics (EMF)', 32, expect.closeTo(9.6, 9)]]);
  });

  it('bills a scheduled function its runs at the assumed duration', () => {
    // Once a minute: 1/60 per s × 2,628,000 s = 43,800 runs × $0.20/M = $0.00876;
    // 43,800 × 1 s × 256/1,024 GB = 10,950 GB-s × $0.0000133334.
    const r = res(FN, 'Sched', {
      memoryMiB: 256,
      architecture: 'arm64',
      function: 'other',
      scheduledPerSec: 1 / 60,
    });
    expect(summary(priceWith(lambdaRule, [r])[0] ?? [])).toEqual([
      ['Lambda requests', expect.closeTo(0.0438, 9), expect.closeTo(0.008_76, 9)],
      ['Lambda duration (arm64)', expect.closeTo(10_950, 6), expect.closeTo(10_950 * 0.000_013_333_4, 9)],
    ]);
  });

  it('bills nothing for a function that runs only at deploy and publishes no metrics', () => {
    const r = res(FN, 'Deploy', { memoryMiB: 128, architecture: 'x86_64', function: 'migrate' });
    expect(priceWith(lambdaRule, [r])).toEqual([[]]);
  });
});
