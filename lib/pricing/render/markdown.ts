import { SIZING_ASSUMPTIONS } from '../../tiers.js';
import { COST_ASSUMPTIONS } from '../cost-assumptions.js';
import { describeLoad, num, pct, perMillion, usd, usd0 } from '../format.js';
import { HOURS_PER_MONTH } from '../prices.js';
import type { Sensitivity, TierReport } from '../report.js';
import { lineLabel, mainLines } from './main-lines.js';
import { summaryTable } from './summary-table.js';
import { markdownTable } from './tables.js';

/** docs/cost-report.md: the four tiers at their ceilings, the assumptions and the sensitivity. */
export function renderMarkdown(
  reports: readonly TierReport[],
  sensitivities: readonly Sensitivity[],
): string {
  const out: string[] = [
    '# Cost report',
    '',
    'What each tier costs a month in us-east-1 at list prices, computed from its own synthesized',
    'template (`lib/pricing/inventory.ts`) and the price table (`lib/pricing/prices.ts`, every figure',
    'with its source and date) by the cost model (`lib/pricing/cost-model.ts`). Rendered by',
    '`npm run cost`; a test fails when this file differs from what it renders, so do not edit it by hand.',
    '',
    '![monthly cost by tier](cost-chart.svg)',
    '',
    '## Summary',
    '',
    summaryTable(reports, { money: usd, perMillionHead: 'Per million events (month 1)' }),
    '',
    '## Assumptions',
    '',
    `- Each tier at its ceiling: ${reports.map((r) => `tier ${r.tier} ${num(r.load.eventsPerSec)}`).join(', ')} events/s.`,
    `- Events of ${num(SIZING_ASSUMPTIONS.eventBytes)} B (the design document's 5.3 KB), sent ${SIZING_ASSUMPTIONS.eventsPerRequest} to a request (the SDK's batch), gzip ${SIZING_ASSUMPTIONS.gzipRatio}:1 (measured; the design document assumes 5:1).`,
    `- A month is ${HOURS_PER_MONTH} h; on-demand list prices, no free tiers, no savings plans or reserved instances.`,
    '- Storage accumulates: month N bills the archive as it stands in month N, through its lifecycle classes (Standard-IA after 30 days, Glacier after 90, deleted after 730).',
    ...Object.entries(COST_ASSUMPTIONS).map(([key, value]) => `- \`${key}\`: ${num(value, 4)}.`),
    '',
  ];
  for (const r of reports) {
    out.push(
      `## ${r.name.replace(/^tier/, 'Tier')}`,
      '',
      `At ${describeLoad(r.load)}.`,
      '',
      markdownTable(
        ['Component', 'Monthly USD', 'Share'],
        [
          ...r.components.map((c) => [c.component, usd(c.monthlyUsd), pct(c.share)]),
          ['**total**', `**${usd(r.totalUsd)}**`, '100.0%'],
        ],
        [1, 2],
      ),
      '',
      `Per million events: ${perMillion(r.perMillionUsd)}.`,
      '',
      'Main lines, month 1:',
      '',
      markdownTable(
        ['Line', 'Component', 'Monthly USD', 'Formula'],
        mainLines(r).map((l) => [lineLabel(l), l.component, usd(l.monthlyUsd), l.formula]),
        [2],
      ),
      '',
      'As storage accumulates:',
      '',
      markdownTable(
        ['Month', ...r.projection.map((m) => String(m.month))],
        [['Total', ...r.projection.map((m) => usd0(m.totalUsd))]],
        r.projection.map((_, i) => i + 1),
      ),
      '',
      `Design document: ${usd0(r.designDoc.usd)}. ${r.designDoc.explanation}`,
      '',
    );
  }
  // The first case is the baseline the others are measured against.
  const baseline = sensitivities[0]?.month1Usd ?? 0;
  out.push(
    '## Sensitivity: tier 3',
    '',
    'One input at a time from the baseline; the template stays as sized for the baseline.',
    '',
    markdownTable(
      ['Input', 'Value', 'Month 1', 'Month 12', 'Month 1 vs baseline', 'Note'],
      sensitivities.map((s) => [
        s.input,
        s.value,
        usd(s.month1Usd),
        usd(s.month12Usd),
        `${s.month1Usd >= baseline ? '+' : '−'}${pct(Math.abs(s.month1Usd / baseline - 1))}`,
        s.note,
      ]),
      [2, 3, 4],
    ),
    '',
  );
  return out.join('\n');
}
