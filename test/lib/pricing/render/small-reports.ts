/** Reports of the four tiers at their ceilings, priced from the small hand-built template. */
import { type TierReport, tierReport } from '../../../../lib/pricing/report.js';
import { TIER_IDS } from '../../../../lib/tiers.js';
import { SMALL_TEMPLATE } from '../small-template.js';

export const SMALL_REPORTS: readonly TierReport[] = TIER_IDS.map((tier) =>
  tierReport({ tier, template: SMALL_TEMPLATE }),
);

/** Gzip ratios of two workloads, as the cost CLI measures them (fixed here: the renderers are under test). */
export const SMALL_WORKLOADS = [
  { name: 'unique', gzipRatio: 3.05, bytesPerEvent: 1_806 },
  { name: 'sessions', gzipRatio: 4.68, bytesPerEvent: 1_175 },
] as const;

/** The same reports, each priced at the two workloads as well. */
export const SMALL_REPORTS_BY_WORKLOAD: readonly TierReport[] = TIER_IDS.map((tier) =>
  tierReport({ tier, template: SMALL_TEMPLATE, workloads: SMALL_WORKLOADS }),
);
