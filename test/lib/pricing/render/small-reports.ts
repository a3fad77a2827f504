/** Reports of the four tiers at their ceilings, priced from the small hand-built template. */
import { type TierReport, tierReport } from '../../../../lib/pricing/report.js';
import { TIER_IDS } from '../../../../lib/tiers.js';
import { SMALL_TEMPLATE } from '../small-template.js';

export const SMALL_REPORTS: readonly TierReport[] = TIER_IDS.map((tier) =>
  tierReport({ tier, template: SMALL_TEMPLATE }),
);
