import { describe, expect, it } from 'vitest';
import { pricesFor } from '../../../lib/pricing/prices.js';
import {
  ARCHIVE_CASES,
  eventsIn,
  hoursIn,
  loadSeconds,
  objectsIn,
  REPLAY_COST_ASSUMPTIONS,
  renderReplayCosts,
  replayCost,
} from '../../../lib/pricing/replay-cost.js';
import { SIZING_ASSUMPTIONS, TIER_IDS, TIERS } from '../../../lib/tiers.js';

const prices = pricesFor('us-east-1');
const TB = 1e12;

describe('the replay cost model’s quantities', () => {
  it.each([
    [TB, 64, 14_902],
    [TB, 128, 7_451],
    [128 * 1_048_576, 128, 1],
    [128 * 1_048_576 + 1, 128, 2],
  ])('objectsIn(%d bytes, %d MiB buffers) = %d', (bytes, mib, objects) => {
    expect(objectsIn(bytes, mib)).toBe(objects);
  });

  it.each([
    [TB, 3, 5_300, 566_037_735.8],
    [TB, 5, 5_300, 943_396_226.4],
    [3_000, 3, 1_000, 9],
  ])('eventsIn(%d bytes, gzip %d:1, %d B events) ≈ %d', (bytes, ratio, eventBytes, events) => {
    expect(eventsIn(bytes, ratio, eventBytes)).toBeCloseTo(events, 0);
  });

  it.each([
    [TB, 1_000, 158],
    [TB, 10_000, 16],
    [TB, 50_000, 4],
    [TB, 200_000, 1],
    [1, 1_000, 1],
  ])('hoursIn(%d bytes at %d events/s) = %d, at least 1', (bytes, eventsPerSec, hours) => {
    expect(hoursIn(bytes, eventsPerSec, SIZING_ASSUMPTIONS.eventBytes, SIZING_ASSUMPTIONS.gzipRatio)).toBe(
      hours,
    );
  });

  it.each([
    [1, 64 * 1_048_576, 2_048],
    [4, 128 * 1_048_576, 2_048],
    [4, 128 * 1_048_576, 1_024],
  ])(
    'loadSeconds(%d objects of %d B at %d MiB) is the loader’s time per event, the read and the look-ups',
    (objects, bytes, memoryMiB) => {
      const events = eventsIn(objects * bytes, SIZING_ASSUMPTIONS.gzipRatio, SIZING_ASSUMPTIONS.eventBytes);
      const cpuShare = Math.min(1, memoryMiB / 1_769);
      const expected =
        (objects * bytes) / REPLAY_COST_ASSUMPTIONS.s3ReadBytesPerSec +
        events * (0.000_14 / cpuShare + 1 / SIZING_ASSUMPTIONS.clickHouseEventsPerSecPerVcpu) +
        Math.ceil(events / 500 / REPLAY_COST_ASSUMPTIONS.recordsPerLoad) *
          REPLAY_COST_ASSUMPTIONS.lookupSecPerLoad;
      expect(loadSeconds(objects, bytes, memoryMiB)).toBeCloseTo(expected, 6);
    },
  );

  it('makes a replay slower with less memory: the CPU share falls below a vCPU', () => {
    expect(loadSeconds(1, 64 * 1_048_576, 1_024)).toBeGreaterThan(loadSeconds(1, 64 * 1_048_576, 2_048));
  });
});

describe.each(TIER_IDS)('replaying 1 TB of tier %i’s archive', (id) => {
  const tier = TIERS[id];
  const cost = replayCost(tier, prices);
  const lineOf = (item: string) => cost.lines.find((l) => l.item === item);

  it('finishes a batch well inside the function’s timeout: under half of it', () => {
    expect(cost.batchSec).toBeLessThan(tier.replay.timeoutSec / 2);
    expect(cost.batchSec).toBeGreaterThan(0);
  });

  it('counts objects from the tier’s buffer size, batches from its batch size, events from the sizing', () => {
    expect(cost.objects).toBe(objectsIn(TB, tier.archive.bufferSizeMiB));
    expect(cost.batches).toBe(Math.ceil(cost.objects / tier.replay.objectsPerBatch));
    expect(cost.events).toBeCloseTo((TB * SIZING_ASSUMPTIONS.gzipRatio) / SIZING_ASSUMPTIONS.eventBytes, 0);
    expect(cost.invocations).toBe(cost.batches + cost.hours + 2);
    expect(cost.transitions).toBe(cost.batches * 2 + cost.hours * 3 + 3);
  });

  it('prices the Lambda GB-seconds at arm64 for the function’s memory', () => {
    const seconds = loadSeconds(cost.objects, cost.objectBytes, tier.replay.memoryMiB);
    expect(cost.lambdaGbSeconds).toBeCloseTo(seconds * (tier.replay.memoryMiB / 1_024), 3);
    expect(lineOf('Lambda GB-seconds')?.usd).toBeCloseTo(
      cost.lambdaGbSeconds * prices.lambda.gbSecondArm64.usd,
      6,
    );
  });

  it.each([
    ['Standard-IA retrieval', 'standard-ia', 10],
    ['Deep Archive restore (bulk, within 48 h): GB', 'deep-archive-bulk', 2.5],
    ['Deep Archive restore (standard, within 12 h): GB', 'deep-archive-standard', 20],
  ])('prices %s per GB, for the TB in %s only: $%d', (item, applies, usd) => {
    expect(lineOf(item)).toMatchObject({ applies, usd: expect.closeTo(usd, 6) });
  });

  it('keeps the restore lines out of the other cases’ totals, and orders the totals by what they retrieve', () => {
    const common = cost.lines.filter((l) => l.applies === 'all').reduce((n, l) => n + l.usd, 0);
    for (const c of ARCHIVE_CASES) {
      const own = cost.lines.filter((l) => l.applies === c).reduce((n, l) => n + l.usd, 0);
      expect(cost.totals[c]).toBeCloseTo(common + own, 9);
    }
    expect(cost.totals.standard).toBeLessThan(cost.totals['deep-archive-bulk']);
    expect(cost.totals['deep-archive-bulk']).toBeLessThan(cost.totals['deep-archive-standard']);
    expect(cost.totals['standard-ia'] - cost.totals.standard).toBeCloseTo(10, 1);
  });

  it('prices Step Functions at $0.025 per 1,000 transitions: cents per TB', () => {
    expect(lineOf('Step Functions transitions')?.usd).toBeCloseTo((cost.transitions / 1_000) * 0.025, 9);
    expect(lineOf('Step Functions transitions')?.usd).toBeLessThan(1);
  });

  it('counts replica fetches only where shards have replicas', () => {
    expect(lineOf('Inter-AZ: replica fetches') !== undefined).toBe(tier.clickhouse.replicas > 1);
    expect(lineOf('Inter-AZ: inserts')?.usd).toBeGreaterThan(0);
  });

  it('has no negative or non-finite line', () => {
    for (const l of cost.lines) {
      expect(Number.isFinite(l.usd)).toBe(true);
      expect(l.usd).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('renderReplayCosts', () => {
  const text = renderReplayCosts(TIER_IDS.map((id) => replayCost(TIERS[id], prices)));

  it.each(TIER_IDS)('prints tier %i with its totals for every place the TB may sit', (id) => {
    expect(text).toMatch(new RegExp(`tier ${id}: [\\d,]+ objects of \\d+ MiB`));
  });

  it('says where the ClickHouse work runs', () => {
    expect(text).toContain('The ClickHouse work runs on the tier’s existing nodes');
    expect(text.match(/total in Deep Archive, bulk restore/g)).toHaveLength(4);
  });
});
