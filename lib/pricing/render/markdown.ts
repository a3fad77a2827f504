import { SIZING_ASSUMPTIONS } from '../../tiers.js';
import { COST_ASSUMPTIONS } from '../cost-assumptions.js';
import { renderFloorMarkdown } from '../floor.js';
import { describeLoad, num, pct, perMillion, usd, usd0 } from '../format.js';
import { HOURS_PER_MONTH } from '../prices.js';
import type { Sensitivity, TierReport, VolumeMonth } from '../report.js';
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
    summaryTable(reports, { money: usd, perMillionHead: 'Per million events (month 1)', steadyState: true }),
    '',
    ...workloadsSection(reports),
    '## Assumptions',
    '',
    `- Each tier at its ceiling: ${reports.map((r) => `tier ${r.tier} ${num(r.load.eventsPerSec)}`).join(', ')} events/s.`,
    `- Events of ${num(SIZING_ASSUMPTIONS.eventBytes)} B (the design document's 5.3 KB), sent ${SIZING_ASSUMPTIONS.eventsPerRequest} to a request (the SDK's batch), gzip ${SIZING_ASSUMPTIONS.gzipRatio}:1 (measured; the design document assumes 5:1).`,
    `- A month is ${HOURS_PER_MONTH} h; on-demand list prices, no free tiers, no savings plans or reserved instances.`,
    "- Storage accumulates: month N bills the archive and the ClickHouse nodes' S3 disk as they stand in month N, the archive through its lifecycle classes and the S3 disk by the age of its rows (each tier's volumes table says what they hold). From the steady-state month on, the oldest writes have left every store (the archive's expiry, the S3 disk's delete, log groups' retention), and every month bills the same.",
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
      projectionTable(r),
      '',
      ...volumesTable(r),
      `Design document: ${usd0(r.designDoc.usd)}. ${r.designDoc.explanation}`,
      '',
    );
  }
  out.push(...leversSection(reports), renderFloorMarkdown(reports.map((r) => r.floor)));
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

/** The months of the projection, and the steady-state month beside them when it comes later. */
function projectionTable(r: TierReport): string {
  const last = r.projection[r.projection.length - 1]?.month ?? 0;
  const steady =
    r.steadyStateMonth !== null && r.steadyStateUsd !== null && r.steadyStateMonth > last
      ? [{ head: `Steady (month ${r.steadyStateMonth})`, usd: r.steadyStateUsd }]
      : [];
  const cells = [...r.projection.map((m) => ({ head: String(m.month), usd: m.totalUsd })), ...steady];
  return markdownTable(
    ['Month', ...cells.map((c) => c.head)],
    [['Total', ...cells.map((c) => usd0(c.usd))]],
    cells.map((_, i) => i + 1),
  );
}

/** A volume's month: its lines' sum. */
const volumeCell = (month: VolumeMonth | null): string => (month === null ? '–' : usd0(month.monthlyUsd));

/** Each volume: what it holds, and what it costs in month 1 and at steady state. */
function volumesTable(r: TierReport): string[] {
  if (r.volumes.length === 0) return [];
  const steadyHead =
    r.steadyStateMonth === null ? 'Steady state' : `Steady state (month ${r.steadyStateMonth})`;
  return [
    'Where the events are kept:',
    '',
    markdownTable(
      ['Volume', 'Holds', 'Month 1', steadyHead],
      r.volumes.map((v) => [v.volume, v.holds, volumeCell(v.month1), volumeCell(v.steadyState)]),
      [],
    ),
    '',
  ];
}

/** A saving, signed: `−` where the alternative costs more. */
const saving = (value: number): string => (value < 0 ? `−${usd(-value)}` : usd(value));

/** Each tier's levers: the alternative, and what it saves in month 1 and at steady state. */
function leversSection(reports: readonly TierReport[]): string[] {
  if (reports.every((r) => r.levers.length === 0)) return [];
  const notes = new Map<string, string>();
  for (const r of reports) for (const l of r.levers) if (!notes.has(l.lever)) notes.set(l.lever, l.note);
  const out = [
    '## Levers',
    '',
    "What each lever saves on each tier at its ceiling, pulled one at a time on the tier's own inventory " +
      '(`lib/pricing/levers.ts`; `npm run cost -- --json` has the figures, and flags set each alternative: ' +
      '`--compression`, `--hot-days`, `--warm-days`, `--bodies-days`, `--archive-expire-days`, ' +
      '`--archive-ia-days`, `--archive-deep-days`, `--archive-class deep-archive|glacier-flexible|glacier-ir`, ' +
      '`--instance-family c5|c7g|c8g`, `--commitment`, `--loader-memory`). A negative saving costs more. ' +
      'The steady state compares each side at its own steady-state month.',
    '',
    ...[...notes].map(([lever, note]) => `- **${lever}**: ${note}`),
    '',
  ];
  for (const r of reports) {
    if (r.levers.length === 0) continue;
    out.push(
      `### ${r.name.replace(/^tier/, 'Tier')}`,
      '',
      markdownTable(
        ['Lever', 'Setting', 'Monthly saving', 'Steady-state saving'],
        r.levers.map((l) => [
          l.lever,
          l.setting,
          saving(l.monthly.savingUsd),
          l.steadyState === null ? '–' : saving(l.steadyState.savingUsd),
        ]),
        [2, 3],
      ),
      '',
    );
  }
  return out;
}

/** Each tier at each measured workload's gzip ratio, side by side: the range real traffic falls in. */
function workloadsSection(reports: readonly TierReport[]): string[] {
  const names = reports[0]?.workloads.map((w) => w.name) ?? [];
  if (names.length === 0) return [];
  const ratios = reports[0]?.workloads.map((w) => `${w.name} ${num(w.gzipRatio)}:1`).join(', ') ?? '';
  return [
    '## By workload',
    '',
    `The figures above price every tier at gzip ${num(SIZING_ASSUMPTIONS.gzipRatio)}:1, fresh text in every event: the ` +
      'worst case. Here each tier is priced at the gzip ratio measured, when this report was rendered, ' +
      "on two workloads at the SDK's level 6 per request batch of 500 (`lib/workloads/compression.ts`; " +
      '[workloads](workloads.md) describes them): `unique`, every event fresh text, and `sessions`, ' +
      'application traffic that resends system prompts, chat history and retrieved passages. Only the ' +
      `ratio changes; events stay ${num(SIZING_ASSUMPTIONS.eventBytes)} B. Measured: ${ratios}.`,
    '',
    markdownTable(
      [
        'Tier',
        ...names.flatMap((n) => [`${n}: month 1`, `${n}: steady state`]),
        `${names.at(-1)} vs ${names[0]}, steady state`,
      ],
      reports.map((r) => {
        const first = r.workloads[0];
        const last = r.workloads.at(-1);
        const change =
          first?.steadyStateUsd == null || last?.steadyStateUsd == null
            ? '–'
            : `${last.steadyStateUsd >= first.steadyStateUsd ? '+' : '−'}${pct(Math.abs(last.steadyStateUsd / first.steadyStateUsd - 1))}`;
        return [
          String(r.tier),
          ...r.workloads.flatMap((w) => [
            usd(w.monthlyUsd),
            w.steadyStateUsd === null ? '–' : usd(w.steadyStateUsd),
          ]),
          change,
        ];
      }),
      [...names.flatMap((_, i) => [1 + 2 * i, 2 + 2 * i]), 1 + 2 * names.length],
    ),
    '',
  ];
}
