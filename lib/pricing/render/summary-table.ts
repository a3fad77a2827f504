import { num, perMillion, usd0 } from '../format.js';
import type { TierReport } from '../report.js';
import { markdownTable } from './tables.js';

/**
 * The tiers side by side: ceiling, month-1 and month-12 totals (and, with `steadyState`, the
 * steady-state month and its total), the cost per million events and the design document's figure.
 * docs/cost-report.md opens with it; the README shows it in whole dollars.
 */
export function summaryTable(
  reports: readonly TierReport[],
  {
    money,
    perMillionHead,
    steadyState = false,
  }: {
    readonly money: (usd: number) => string;
    readonly perMillionHead: string;
    readonly steadyState?: boolean;
  },
): string {
  const steady = (r: TierReport): string[] => {
    if (!steadyState) return [];
    return r.steadyStateMonth === null || r.steadyStateUsd === null
      ? ['–', '–']
      : [String(r.steadyStateMonth), money(r.steadyStateUsd)];
  };
  const head = steadyState ? ['Steady-state month', 'Steady state'] : [];
  return markdownTable(
    ['Tier', 'Ceiling (events/s)', 'Month 1', 'Month 12', ...head, perMillionHead, 'Design document'],
    reports.map((r) => [
      String(r.tier),
      num(r.load.eventsPerSec),
      money(r.totalUsd),
      r.month12Usd === null ? '–' : money(r.month12Usd),
      ...steady(r),
      perMillion(r.perMillionUsd),
      usd0(r.designDoc.usd),
    ]),
    steadyState ? [1, 2, 3, 4, 5, 6, 7] : [1, 2, 3, 4, 5],
  );
}

/** The README's cost table: with the steady state, the month FinOps budgets for once storage stops growing. */
export const renderReadmeTable = (reports: readonly TierReport[]): string =>
  summaryTable(reports, { money: usd0, perMillionHead: 'Per million events', steadyState: true });
