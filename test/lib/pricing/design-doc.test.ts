import { describe, expect, it } from 'vitest';
import { DESIGN_DOC, designDocItemUsd, designDocListPrice } from '../../../lib/pricing/design-doc.js';
import { TIER_IDS } from '../../../lib/tiers.js';

describe("the design document's figures", () => {
  it.each([
    // t3.medium $0.0416 + t3.large $0.0832 + db.t3.small $0.036 + cache.t3.micro $0.017, × 730 h
    [1, 98, 0.1778 * 730],
    // 2 × c5.large $0.085 + c5.2xlarge $0.34 + 2 × db.r5.large $0.25 + cache.r6g.large $0.206
    [2, 980, 1.216 * 730],
    // 2 ALBs $0.0225 + 5 × c5.2xlarge $0.34 + 3 × c5.4xlarge $0.68 + 4 × db.r5.xlarge $0.5 + 3 × $0.411
    [3, 5_840, 7.018 * 730],
    // 4 ALBs $0.0225 + 20 × c5.2xlarge $0.34 + 12 × c5.9xlarge $1.53
    [4, 28_450, 25.25 * 730],
  ] as const)('tier %i: its $%d, and the list price of what it names', (tier, usd, listPrice) => {
    expect(DESIGN_DOC[tier].usd).toBe(usd);
    expect(designDocListPrice(tier)).toBeCloseTo(listPrice, 6);
  });

  it.each(TIER_IDS)('tier %i: every item has a count, an hourly price and its source', (tier) => {
    for (const item of DESIGN_DOC[tier].items) {
      expect(item.count).toBeGreaterThan(0);
      expect(item.price).toMatchObject({ unit: expect.stringMatching(/h$/), source: expect.any(String) });
      expect(designDocItemUsd(item)).toBeCloseTo(item.count * item.price.usd * 730, 9);
    }
  });
});
