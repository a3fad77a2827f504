import type { TierReport } from '../report.js';

/** `npm run cost -- --json`: the reports as they are, with the region of their prices. */
export function renderJson(region: string, reports: readonly TierReport[]): string {
  return `${JSON.stringify({ region, tiers: reports }, null, 2)}\n`;
}
