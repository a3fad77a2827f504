import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeTierTemplate } from '../../../lib/app.js';
import {
  COSTED_RESOURCE_TYPES,
  type CostLine,
  costPerMillionEvents,
  type Load,
  monthlyCost,
  totalMonthlyUsd,
} from '../../../lib/pricing/cost-model.js';
import { BILLABLE_TYPES, COMPONENTS, inventory, type TemplateJson } from '../../../lib/pricing/inventory.js';
import { PRICES, type RegionPrices } from '../../../lib/pricing/prices.js';
import { SIZING_ASSUMPTIONS, TIER_IDS, TIERS, type TierId } from '../../../lib/tiers.js';

/*
 * Month-1 totals at each tier's ceiling (us-east-1, 5,300 B events, gzip 3:1, 500 per request),
 * as computed when this test was written (query traffic at the default of none); figures to read,
 * not to assert:
 *   tier 1 (1,000 events/s):   $768.08/month, $0.2923 per million events
 *   tier 2 (10,000 events/s):  $4,651.48/month, $0.1770 per million events
 *   tier 3 (50,000 events/s):  $23,154.91/month, $0.1762 per million events
 *   tier 4 (200,000 events/s): $105,506.15/month, $0.2007 per million events
 */

/** The tier's template as the CLI writes it: with construct paths, without bundling. */
const synth = (tier: TierId): TemplateJson => synthesizeTierTemplate(tier);

const prices = PRICES['us-east-1'] as RegionPrices;

const ceilingLoad = (id: TierId): Load => ({
  eventsPerSec: TIERS[id].ceilingEventsPerSec,
  eventBytes: SIZING_ASSUMPTIONS.eventBytes,
  gzipRatio: SIZING_ASSUMPTIONS.gzipRatio,
  eventsPerRequest: SIZING_ASSUMPTIONS.eventsPerRequest,
});

const bills = new Map<TierId, CostLine[]>();
beforeAll(() => {
  for (const id of TIER_IDS) {
    const template = synth(id);
    bills.set(id, monthlyCost({ inventory: inventory(template), load: ceilingLoad(id), prices, month: 1 }));
  }
}, 120_000);
const bill = (id: TierId) => bills.get(id) as CostLine[];

describe('the cost model over every billable type', () => {
  it('has a cost rule for every type the inventory lists', () => {
    const costed = new Set<string>(COSTED_RESOURCE_TYPES);
    expect(Object.keys(BILLABLE_TYPES).filter((type) => !costed.has(type))).toEqual([]);
  });
});

describe.each(TIER_IDS)("tier %i's template at its ceiling, month 1", (id) => {
  it('has lines for every component', () => {
    expect([...new Set(bill(id).map((line) => line.component))].sort()).toEqual([...COMPONENTS].sort());
  });

  it('totals the sum of its lines', () => {
    const lines = bill(id);
    expect(totalMonthlyUsd(lines)).toBe(lines.reduce((sum, line) => sum + line.monthlyUsd, 0));
  });

  it('gives every line a finite, non-negative amount', () => {
    const bad = bill(id).filter((line) => !Number.isFinite(line.monthlyUsd) || line.monthlyUsd < 0);
    expect(bad).toEqual([]);
  });

  it('gives a finite cost per million events', () => {
    expect(Number.isFinite(costPerMillionEvents(bill(id), ceilingLoad(id)))).toBe(true);
  });
});

describe('the tiers side by side', () => {
  it.each(TIER_IDS.slice(1))('costs more at tier %i than at the tier below', (id) => {
    const below = (id - 1) as TierId;
    expect(totalMonthlyUsd(bill(id))).toBeGreaterThan(totalMonthlyUsd(bill(below)));
  });
});
