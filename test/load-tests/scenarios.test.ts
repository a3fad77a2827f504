import { describe, expect, it } from 'vitest';
import { TIERS } from '../../lib/tiers.js';
import {
  constantScenario,
  findKnee,
  type Phase,
  scenarioEvents,
  scenarioSeconds,
  tierProjects,
  tierScenario,
} from '../../load-tests/scenarios.js';

describe('tier scenarios', () => {
  it.each([1, 2, 3, 4] as const)(
    'tier %i: the ceiling scenario offers the ceiling from lib/tiers.ts',
    (tier) => {
      const s = tierScenario(tier, 'ceiling', { scale: 1 });
      expect(s.phases).toEqual([
        { name: 'ceiling', eventsPerSec: TIERS[tier].ceilingEventsPerSec, durationSec: 60 },
      ]);
      expect(s.projects).toBe(tierProjects(tier));
    },
  );

  it('scales a tier down: tier 4 at 0.01 runs its ramp from 500 to 3,000 events/s', () => {
    const s = tierScenario(4, 'ramp', { scale: 0.01, durationSec: 60 });
    expect(s.phases.map((p) => p.eventsPerSec)).toEqual([500, 1_000, 1_500, 2_000, 2_500, 3_000]);
    expect(s.phases.map((p) => p.name)).toEqual(['25%', '50%', '75%', '100%', '125%', '150%']);
    expect(scenarioSeconds(s)).toBe(60);
  });

  it('puts the odd seconds of a ramp on its last step', () => {
    const s = tierScenario(1, 'ramp', { scale: 1, durationSec: 20 });
    expect(s.phases.map((p) => p.durationSec)).toEqual([3, 3, 3, 3, 3, 5]);
  });

  it('bursts to 1.6× the ceiling between two phases at half of it', () => {
    const s = tierScenario(2, 'burst', { scale: 0.1, durationSec: 90 });
    expect(s.phases).toEqual([
      { name: 'base', eventsPerSec: 500, durationSec: 30 },
      { name: 'burst', eventsPerSec: 1_600, durationSec: 30 },
      { name: 'after', eventsPerSec: 500, durationSec: 30 },
    ]);
    expect(scenarioEvents(s)).toBe(500 * 30 + 1_600 * 30 + 500 * 30);
  });

  it('gives every ClickHouse shard projects: at least 3, and 2 per shard', () => {
    expect([1, 2, 3, 4].map((t) => tierProjects(t as 1 | 2 | 3 | 4))).toEqual(
      [1, 2, 3, 4].map((t) => Math.max(3, TIERS[t as 1 | 2 | 3 | 4].clickhouse.shards * 2)),
    );
    expect(tierProjects(4)).toBeGreaterThan(tierProjects(1));
  });

  it('describes a constant rate', () => {
    expect(constantScenario(2_000, 30, 3)).toMatchObject({
      name: 'constant',
      description: '2,000 events/s for 30 s',
      phases: [{ eventsPerSec: 2_000, durationSec: 30 }],
    });
  });
});

describe('findKnee', () => {
  const step = (eventsPerSec: number, acceptedPerSec: number, p99Ms: number) => ({
    phase: { name: `${eventsPerSec}`, eventsPerSec, durationSec: 10 } satisfies Phase,
    acceptedPerSec,
    p99Ms,
  });

  it('is the highest step that held, every step below holding too', () => {
    const knee = findKnee(
      [step(500, 500, 90), step(1_000, 990, 200), step(1_500, 1_200, 800), step(2_000, 2_000, 100)],
      1_000,
    );
    expect(knee?.phase.eventsPerSec).toBe(1_000);
  });

  it('counts a step over the latency bound as not holding', () => {
    expect(findKnee([step(500, 500, 90), step(1_000, 1_000, 1_001)], 1_000)?.phase.eventsPerSec).toBe(500);
  });

  it('accepts exactly 95% of the offered rate', () => {
    expect(findKnee([step(1_000, 950, 10)], 1_000)?.phase.eventsPerSec).toBe(1_000);
    expect(findKnee([step(1_000, 949, 10)], 1_000)).toBeUndefined();
  });
});
