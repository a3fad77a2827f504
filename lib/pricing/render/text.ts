import { describeLoad, pct, perMillion, usd, usd0 } from '../format.js';
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
      `design document:          ${usd0(r.designDoc.usd)}`,
      `  ${r.designDoc.explanation}`,
      '',
    );
  }
  return `${out.join('\n')}\n`;
}
