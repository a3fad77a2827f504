import { describeLoad, num, pct, perMillion, usd, usd0 } from '../format.js';
import type { TierReport } from '../report.js';
import { lineLabel, mainLines } from './main-lines.js';
import { textTable } from './tables.js';

/** What `npm run cost` prints: each tier's components, main lines, total and projection. */
export function renderText(reports: readonly TierReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${r.name}`, `  at ${describeLoad(r.load)}`, '');
    out.push(
      textTable(
        ['component', 'monthly USD', 'share'],
        [
          ...r.components.map((c) => [c.component, usd(c.monthlyUsd), pct(c.share)]),
          ['total', usd(r.totalUsd), '100.0%'],
        ],
        [1, 2],
      ),
      '',
      'main lines (month 1):',
    );
    for (const line of mainLines(r)) {
      out.push(
        `  ${usd(line.monthlyUsd).padStart(12)}  ${line.component}: ${lineLabel(line)} = ${line.formula}`,
      );
    }
    out.push(
      '',
      `total, month 1:           ${usd(r.totalUsd)}`,
      `per million events:       ${perMillion(r.perMillionUsd)}`,
      `projection (storage accumulates): ${r.projection.map((m) => `m${m.month} ${usd0(m.totalUsd)}`).join(', ')}`,
      `steady state:             ${r.steadyStateMonth === null || r.steadyStateUsd === null ? 'none (something is kept forever)' : `month ${r.steadyStateMonth}, ${usd0(r.steadyStateUsd)}`}`,
      ...r.volumes.map(
        (v) =>
          `  ${`${v.volume}:`.padEnd(9)}${usd0(v.month1.monthlyUsd)} in month 1, ${v.steadyState === null ? '–' : usd0(v.steadyState.monthlyUsd)} at steady state: ${v.holds}`,
      ),
      ...workloadLines(r),
      floorLine(r),
      `design document:          ${usd0(r.designDoc.usd)}`,
      `  ${r.designDoc.explanation}`,
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

/** What the load balancer's bytes and Firehose alone cost at each ratio, and whether the design document's figure is in reach. */
function floorLine(r: TierReport): string {
  const points = r.floor.points.map(
    (p) =>
      `${usd0(p.monthlyUsd)} at ${num(p.gzipRatio)}:1 ($${p.perCompressedGbUsd.toFixed(4)} per compressed GB, ${p.reachable ? 'leaves room for the design document' : 'puts the design document out of reach'})`,
  );
  return `floor (ALB processed bytes + Firehose ingestion alone): ${points.join('; ')}`;
}

/** The tier at each measured workload's gzip ratio, beside the headline's. */
function workloadLines(r: TierReport): string[] {
  if (r.workloads.length === 0) return [];
  const table = textTable(
    ['workload', 'gzip', 'B/event gzip', 'month 1', 'steady state'],
    r.workloads.map((w) => [
      w.name,
      `${num(w.gzipRatio)}:1`,
      num(w.bytesPerEvent, 0),
      usd0(w.monthlyUsd),
      w.steadyStateUsd === null ? '–' : `${usd0(w.steadyStateUsd)} (month ${w.steadyStateMonth})`,
    ]),
    [1, 2, 3, 4],
  );
  return [
    `by workload (gzip measured in this run at the SDK's level 6, per request batch; the figures above are at ${num(r.load.gzipRatio)}:1):`,
    ...table.split('\n').map((line) => `  ${line}`),
  ];
}
