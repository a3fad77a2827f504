import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeTierTemplate } from '../../../lib/app.js';
import { COMPONENTS, type TemplateJson } from '../../../lib/pricing/inventory.js';
import { ceilingLoad, type TierCost, tierCost } from '../../../lib/pricing/tier-cost.js';
import { SIZING_ASSUMPTIONS, TIER_IDS, TIERS, type TierId } from '../../../lib/tiers.js';
import { tierTemplateJson } from '../../helpers/tier-templates.js';

/** Each tier's template as the CLI prices it (with construct paths, without bundling), shared by the run. */
const templates = new Map<TierId, TemplateJson>();
const costs = new Map<TierId, TierCost>();
beforeAll(async () => {
  for (const id of TIER_IDS) {
    const template = await tierTemplateJson(id);
    templates.set(id, template);
    costs.set(id, tierCost({ tier: id, template }));
  }
}, 240_000);
const cost = (id: TierId) => costs.get(id) as TierCost;

describe('ceilingLoad', () => {
  it.each(TIER_IDS)(
    "is tier %i's ceiling with the sizing assumptions' event, batch and compression",
    (id) => {
      expect(ceilingLoad(id)).toEqual({
        eventsPerSec: TIERS[id].ceilingEventsPerSec,
        eventBytes: SIZING_ASSUMPTIONS.eventBytes,
        gzipRatio: SIZING_ASSUMPTIONS.gzipRatio,
        eventsPerRequest: SIZING_ASSUMPTIONS.eventsPerRequest,
      });
    },
  );
});

describe.each(TIER_IDS)("tierCost of tier %i's own template", (id) => {
  it('prices the tier at its ceiling by default', () => {
    expect(cost(id).load).toEqual(ceilingLoad(id));
  });

  it('has lines for every component', () => {
    expect([...new Set(cost(id).lines.map((line) => line.component))].sort()).toEqual([...COMPONENTS].sort());
  });

  it('gives every line a finite, non-negative amount', () => {
    const bad = cost(id).lines.filter((line) => !Number.isFinite(line.monthlyUsd) || line.monthlyUsd < 0);
    expect(bad).toEqual([]);
  });

  it('totals the sum of its lines, and of its components', () => {
    const { lines, total, byComponent } = cost(id);
    expect(total).toBe(lines.reduce((sum, line) => sum + line.monthlyUsd, 0));
    expect(Object.values(byComponent).reduce((sum, usd) => sum + usd, 0)).toBeCloseTo(total, 6);
  });

  it('gives the cost per million events of month 1', () => {
    const millionsPerMonth = (TIERS[id].ceilingEventsPerSec * 730 * 3_600) / 1e6;
    expect(cost(id).perMillion).toBeCloseTo(cost(id).total / millionsPerMonth, 9);
  });

  it('projects 12 months by default, month 1 equal to the lines, never falling as storage accumulates', () => {
    const { projection, total } = cost(id);
    expect(projection.map((m) => m.month)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(projection[0]?.totalUsd).toBeCloseTo(total, 9);
    const totals = projection.map((m) => m.totalUsd);
    expect(totals.every((usd, i) => i === 0 || usd >= (totals[i - 1] as number))).toBe(true);
  });
});

describe('the tiers side by side', () => {
  it.each(TIER_IDS.slice(1))('costs more at tier %i than at the tier below', (id) => {
    expect(cost(id).total).toBeGreaterThan(cost((id - 1) as TierId).total);
  });
});

describe('tierCost at other loads', () => {
  it('prices a given load and months', () => {
    const template = templates.get(1) as TemplateJson;
    const half = tierCost({ tier: 1, template, load: { ...ceilingLoad(1), eventsPerSec: 500 }, months: 3 });
    expect(half.projection).toHaveLength(3);
    expect(half.total).toBeLessThan(cost(1).total);
  });

  it('gives no cost per million events at 0 events/s', () => {
    const template = templates.get(1) as TemplateJson;
    expect(
      tierCost({ tier: 1, template, load: { ...ceilingLoad(1), eventsPerSec: 0 } }).perMillion,
    ).toBeNaN();
  });

  it('prices a template synthesized again the same: the figures depend on the template alone', () => {
    expect(tierCost({ tier: 1, months: 1, template: synthesizeTierTemplate(1) }).total).toBeCloseTo(
      cost(1).total,
      9,
    );
  });
});
