import { TIERS, type TierId } from '../lib/tiers.js';

/**
 * What a load run offers, as phases of constant arrival rate. A tier's scenarios come from its
 * ceiling in `lib/tiers.ts` (the one sizing table), times `scale` so a tier's shape runs at a
 * fraction of its rate on a small machine.
 */

export type ScenarioName = 'constant' | 'ceiling' | 'ramp' | 'burst';
export const TIER_SCENARIOS = ['ceiling', 'ramp', 'burst'] as const;

export interface Phase {
  readonly name: string;
  /** Events per second offered, whatever the answers. */
  readonly eventsPerSec: number;
  readonly durationSec: number;
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly description: string;
  readonly phases: readonly Phase[];
  /** Projects the events are spread over, one API key each. */
  readonly projects: number;
}

export const SCENARIO_SHAPE = {
  /** The ramp's steps, as fractions of the ceiling: it passes the ceiling to find where it bends. */
  rampSteps: [0.25, 0.5, 0.75, 1, 1.25, 1.5],
  /**
   * The burst: a base load, a burst above the ceiling, and the base again to see the backlog drain.
   * The design document gives a ClickHouse node ~40,000 events/s for under 5 minutes against
   * 25,000 sustained: a burst of 1.6× the ceiling.
   */
  burstBase: 0.5,
  burstPeak: 1.6,
  /** Default seconds of each scenario, all phases together. */
  defaultDurationSec: { constant: 60, ceiling: 60, ramp: 180, burst: 90 },
  /** Every ClickHouse shard should see writes: at least this many projects per shard, and at least `minProjects`. */
  projectsPerShard: 2,
  minProjects: 3,
} as const;

/** Projects for a tier's load: enough that sharding by project puts writes on every shard. */
export function tierProjects(tier: TierId): number {
  return Math.max(
    SCENARIO_SHAPE.minProjects,
    TIERS[tier].clickhouse.shards * SCENARIO_SHAPE.projectsPerShard,
  );
}

const rounded = (eventsPerSec: number) => Math.max(1, Math.round(eventsPerSec));

/** Splits `durationSec` over `n` phases in whole seconds, the remainder on the last. */
function split(durationSec: number, n: number): number[] {
  const each = Math.max(1, Math.floor(durationSec / n));
  return Array.from({ length: n }, (_, i) =>
    i === n - 1 ? Math.max(1, durationSec - each * (n - 1)) : each,
  );
}

export function constantScenario(eventsPerSec: number, durationSec: number, projects: number): Scenario {
  return {
    name: 'constant',
    description: `${rounded(eventsPerSec).toLocaleString('en-US')} events/s for ${durationSec} s`,
    phases: [{ name: 'constant', eventsPerSec: rounded(eventsPerSec), durationSec }],
    projects,
  };
}

/** A tier's scenario at `scale` × its ceiling. */
export function tierScenario(
  tier: TierId,
  name: (typeof TIER_SCENARIOS)[number],
  options: { readonly scale: number; readonly durationSec?: number; readonly projects?: number },
): Scenario {
  const ceiling = TIERS[tier].ceilingEventsPerSec * options.scale;
  const projects = options.projects ?? tierProjects(tier);
  const durationSec = options.durationSec ?? SCENARIO_SHAPE.defaultDurationSec[name];
  const of = `tier ${tier}'s ceiling of ${TIERS[tier].ceilingEventsPerSec.toLocaleString('en-US')} events/s${options.scale === 1 ? '' : ` × ${options.scale}`}`;
  switch (name) {
    case 'ceiling':
      return {
        name,
        description: `${of}, held for ${durationSec} s`,
        phases: [{ name: 'ceiling', eventsPerSec: rounded(ceiling), durationSec }],
        projects,
      };
    case 'ramp': {
      const steps = SCENARIO_SHAPE.rampSteps;
      const lengths = split(durationSec, steps.length);
      return {
        name,
        description: `steps of ${steps.map((s) => `${s * 100}%`).join(', ')} of ${of}, to find the knee`,
        phases: steps.map((step, i) => ({
          name: `${step * 100}%`,
          eventsPerSec: rounded(ceiling * step),
          durationSec: lengths[i] ?? 1,
        })),
        projects,
      };
    }
    case 'burst': {
      const [before, peak, after] = split(durationSec, 3);
      const { burstBase, burstPeak } = SCENARIO_SHAPE;
      return {
        name,
        description: `${burstBase * 100}% of ${of}, a burst at ${burstPeak * 100}%, then ${burstBase * 100}% again`,
        phases: [
          { name: 'base', eventsPerSec: rounded(ceiling * burstBase), durationSec: before ?? 1 },
          { name: 'burst', eventsPerSec: rounded(ceiling * burstPeak), durationSec: peak ?? 1 },
          { name: 'after', eventsPerSec: rounded(ceiling * burstBase), durationSec: after ?? 1 },
        ],
        projects,
      };
    }
  }
}

export const scenarioEvents = (s: Scenario) =>
  s.phases.reduce((n, p) => n + p.eventsPerSec * p.durationSec, 0);
export const scenarioSeconds = (s: Scenario) => s.phases.reduce((n, p) => n + p.durationSec, 0);

/** What a phase achieved, as the knee is judged. */
export interface PhaseOutcome {
  readonly phase: Phase;
  /** Events acknowledged per second of the phase. */
  readonly acceptedPerSec: number;
  readonly p99Ms: number;
}

export const KNEE_RULE = {
  /** A step holds when it accepts at least this share of what it offered… */
  minAcceptedShare: 0.95,
} as const;

/**
 * The knee of a ramp: the highest step that still accepted ≥ 95% of its offered rate with p99 at
 * or under `p99LimitMs`, provided every step below it held too. `undefined` when the first step
 * already failed.
 */
export function findKnee(outcomes: readonly PhaseOutcome[], p99LimitMs: number): PhaseOutcome | undefined {
  let knee: PhaseOutcome | undefined;
  for (const outcome of outcomes) {
    const holds =
      outcome.acceptedPerSec >= outcome.phase.eventsPerSec * KNEE_RULE.minAcceptedShare &&
      outcome.p99Ms <= p99LimitMs;
    if (!holds) break;
    knee = outcome;
  }
  return knee;
}
