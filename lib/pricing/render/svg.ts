import { num, usd0 } from '../format.js';
import type { TierReport } from '../report.js';

/**
 * docs/cost-chart.svg: month-1, month-12 and steady-state cost against events/s, log–log, with the
 * design document's. A tier with no steady state (something kept forever) shows its month 12 there.
 */
export function renderSvg(reports: readonly TierReport[]): string {
  const width = 880;
  const height = 460;
  const left = 90;
  const right = 210;
  const top = 50;
  const bottom = 70;
  const [x0, x1] = [Math.log10(500), Math.log10(400_000)];
  const [y0, y1] = [Math.log10(50), Math.log10(500_000)];
  const x = (v: number) => (left + ((Math.log10(v) - x0) / (x1 - x0)) * (width - left - right)).toFixed(1);
  const y = (v: number) =>
    (height - bottom - ((Math.log10(v) - y0) / (y1 - y0)) * (height - top - bottom)).toFixed(1);
  const series = [
    { name: 'EvalForge, month 1', color: '#1f77b4', dash: '', value: (r: TierReport) => r.totalUsd },
    {
      name: 'EvalForge, month 12',
      color: '#d62728',
      dash: ' stroke-dasharray="6 4"',
      value: (r: TierReport) => r.month12Usd ?? r.totalUsd,
    },
    {
      name: 'EvalForge, steady state',
      color: '#9467bd',
      dash: ' stroke-dasharray="10 3 2 3"',
      value: (r: TierReport) => r.steadyStateUsd ?? r.month12Usd ?? r.totalUsd,
    },
    {
      name: 'design document',
      color: '#7f7f7f',
      dash: ' stroke-dasharray="2 3"',
      value: (r: TierReport) => r.designDoc.usd,
    },
  ];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    '<title>EvalForge monthly cost by tier against events/s (us-east-1 list prices)</title>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">Monthly cost at each tier's ceiling (us-east-1 list prices)</text>`,
  ];
  for (const tick of [1_000, 10_000, 100_000]) {
    out.push(
      `<line x1="${x(tick)}" y1="${top}" x2="${x(tick)}" y2="${height - bottom}" stroke="#e5e5e5"/>`,
      `<text x="${x(tick)}" y="${height - bottom + 18}" text-anchor="middle">${num(tick)}</text>`,
    );
  }
  for (const tick of [100, 1_000, 10_000, 100_000]) {
    out.push(
      `<line x1="${left}" y1="${y(tick)}" x2="${width - right}" y2="${y(tick)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 8}" y="${y(tick)}" text-anchor="end" dominant-baseline="middle">$${num(tick)}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#333"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 24}" text-anchor="middle">events/s at the tier's ceiling (log scale)</text>`,
    `<text x="22" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 22 ${(top + height - bottom) / 2})">USD per month (log scale)</text>`,
  );
  for (const s of series) {
    const points = reports.map((r) => `${x(r.load.eventsPerSec)},${y(s.value(r))}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash}/>`);
    for (const r of reports) {
      out.push(
        `<circle cx="${x(r.load.eventsPerSec)}" cy="${y(s.value(r))}" r="4" fill="${s.color}"><title>tier ${r.tier}, ${s.name}: ${usd0(s.value(r))}</title></circle>`,
      );
    }
  }
  for (const r of reports) {
    const top12 = r.steadyStateUsd ?? r.month12Usd ?? r.totalUsd;
    out.push(
      `<text x="${x(r.load.eventsPerSec)}" y="${(Number(y(top12)) - 12).toFixed(1)}" text-anchor="middle" font-weight="bold">tier ${r.tier}</text>`,
    );
  }
  series.forEach((s, i) => {
    const ly = top + 10 + i * 20;
    const lx = width - right + 12;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash}/>`,
      `<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${s.name}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}
