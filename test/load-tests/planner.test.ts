import { describe, expect, it } from 'vitest';
import { EventSchema } from '../../functions/shared/contract/event.js';
import { eventGenerator } from '../../lib/workloads/event-generator.js';
import {
  type EventLine,
  type PlannedBatch,
  planBatches,
  projectPicker,
  projectWeights,
} from '../../load-tests/planner.js';
import { constantScenario, type Scenario, tierScenario } from '../../load-tests/scenarios.js';

const limits = { maxEvents: 500, maxRawBytes: 2_700_000, flushIntervalMs: 1_000 };
const tinyLine = (project: number, atMs: number) => JSON.stringify({ project, atMs });
const plan = (s: Scenario, l = limits, line: EventLine = tinyLine): PlannedBatch[] => [
  ...planBatches(s, l, line),
];

describe('planBatches', () => {
  it('offers every event of the schedule exactly once, in batches due in order', () => {
    const batches = plan(tierScenario(4, 'ramp', { scale: 0.005, durationSec: 12, projects: 4 }));
    const events = batches.flatMap((b) =>
      b.lines.map((l) => JSON.parse(l) as { atMs: number; project: number }),
    );
    expect(events).toHaveLength((250 + 500 + 750 + 1_000 + 1_250 + 1_500) * 2);
    for (let i = 1; i < batches.length; i++)
      expect(batches[i]?.dueMs).toBeGreaterThanOrEqual(batches[i - 1]?.dueMs ?? 0);
    for (const b of batches)
      for (const l of b.lines) expect((JSON.parse(l) as { project: number }).project).toBe(b.project);
  });

  it('spaces arrivals evenly at the phase rate: the open model', () => {
    const events = plan(constantScenario(200, 2, 1)).flatMap((b) =>
      b.lines.map((l) => (JSON.parse(l) as { atMs: number }).atMs),
    );
    expect(events.slice(0, 4)).toEqual([0, 5, 10, 15]);
    expect(events.at(-1)).toBe(1_995);
  });

  it('closes a batch when it is full, due at its last event', () => {
    const batches = plan(constantScenario(1_000, 2, 1), { ...limits, maxEvents: 100 });
    expect(batches.map((b) => b.lines.length)).toEqual(new Array(20).fill(100));
    expect(batches[0]?.dueMs).toBe(99);
  });

  it('sends a batch that does not fill one flush interval after its first event', () => {
    // 3 events/s for one project: never 500, so each batch goes 1 s after it opened.
    const batches = plan(constantScenario(3, 3, 1));
    expect(batches.map((b) => [b.dueMs, b.lines.length])).toEqual([
      [1_000, 3],
      [2_000, 3],
      [3_000, 3],
    ]);
  });

  it('closes a batch once its bytes reach the budget', () => {
    const line = (project: number, atMs: number) => JSON.stringify({ project, atMs }).padEnd(29);
    const batches = plan(constantScenario(100, 1, 1), { ...limits, maxRawBytes: 10 * 30 }, line);
    expect(batches.map((b) => b.rawBytes)).toEqual(new Array(10).fill(300));
    expect(batches.reduce((n, b) => n + b.lines.length, 0)).toBe(100);
  });

  it('numbers batches in the order they open and tells each event its batch', () => {
    const line = (project: number, atMs: number, seq: number) => JSON.stringify({ project, atMs, seq });
    const batches = plan(constantScenario(1_000, 1, 3), { ...limits, maxEvents: 50 }, line);
    expect(new Set(batches.map((b) => b.seq)).size).toBe(batches.length);
    for (const b of batches)
      for (const l of b.lines) expect((JSON.parse(l) as { seq: number }).seq).toBe(b.seq);
    expect(Math.min(...batches.map((b) => b.seq))).toBe(0);
    expect(Math.max(...batches.map((b) => b.seq))).toBe(batches.length - 1);
  });

  it('makes events the contract accepts, with spread sizes around 5.3 KB', () => {
    const generator = eventGenerator({ sizes: 'spread', metadata: { load_run: 'r1' } });
    const batches = plan(constantScenario(500, 2, 3), limits, () => JSON.stringify(generator.next()));
    const lines = batches.flatMap((b) => b.lines);
    for (const line of lines.slice(0, 50)) expect(EventSchema.safeParse(JSON.parse(line)).success).toBe(true);
    const sizes = lines.map((l) => l.length).sort((a, b) => a - b);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(5_000);
    expect(mean).toBeLessThan(6_000);
    // A spread, not one size: the 10th and 90th percentiles are far apart.
    expect(
      (sizes[Math.floor(sizes.length * 0.9)] ?? 0) / (sizes[Math.floor(sizes.length * 0.1)] ?? 1),
    ).toBeGreaterThan(2);
    expect(JSON.parse(lines[0] ?? '{}').metadata.load_run).toBe('r1');
  });
});

describe('projects', () => {
  it('weighs projects 1/(i+1)', () => {
    expect(projectWeights(3).map((w) => Math.round(w * 100))).toEqual([55, 27, 18]);
  });

  it('gives each project its share within one event at any point', () => {
    const pick = projectPicker(4);
    const weights = projectWeights(4);
    const counts = [0, 0, 0, 0];
    for (let n = 1; n <= 1_000; n++) {
      const picked = pick();
      counts[picked] = (counts[picked] ?? 0) + 1;
      for (const [i, c] of counts.entries())
        expect(Math.abs(c - n * (weights[i] ?? 0))).toBeLessThanOrEqual(1);
    }
  });
});
