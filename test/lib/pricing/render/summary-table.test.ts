import { describe, expect, it } from 'vitest';
import { usd } from '../../../../lib/pricing/format.js';
import { renderReadmeTable, summaryTable } from '../../../../lib/pricing/render/summary-table.js';
import { tierReport } from '../../../../lib/pricing/report.js';
import { SMALL_TEMPLATE } from '../small-template.js';
import { SMALL_REPORTS } from './small-reports.js';

describe('the summary table', () => {
  it("gives each tier a row: ceiling, months 1 and 12, the steady state, per million, the design document's figure", () => {
    const rows = renderReadmeTable(SMALL_REPORTS).split('\n');
    expect(rows.slice(0, 2)).toEqual([
      '| Tier | Ceiling (events/s) | Month 1 | Month 12 | Steady-state month | Steady state | Per million events | Design document |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ]);
    expect(rows.slice(2).map((row) => row.split(' | ')[0])).toEqual(['| 1', '| 2', '| 3', '| 4']);
    expect(rows[5]).toMatch(
      /^\| 4 \| 200,000 \| \$[\d,]+ \| \$[\d,]+ \| 25 \| \$[\d,]+ \| \$\d+\.\d{4} \| \$28,450 \|$/,
    );
  });

  it('adds the steady-state month and its total beside month 12 when asked', () => {
    const [first] = SMALL_REPORTS;
    if (first === undefined) throw new Error('no report');
    const rows = summaryTable([first], {
      money: usd,
      perMillionHead: 'Per million',
      steadyState: true,
    }).split('\n');
    expect(rows[0]).toBe(
      '| Tier | Ceiling (events/s) | Month 1 | Month 12 | Steady-state month | Steady state | Per million | Design document |',
    );
    expect(rows[2]).toMatch(
      /^\| 1 \| 1,000 \| \$[\d,.]+ \| \$[\d,.]+ \| 25 \| \$[\d,.]+ \| \$\d+\.\d{4} \| \$98 \|$/,
    );
    expect(summaryTable([first], { money: usd, perMillionHead: 'Per million' })).not.toContain('Steady');
  });

  it('shows no month 12 for a shorter projection', () => {
    const short = tierReport({ tier: 2, template: SMALL_TEMPLATE, months: 3 });
    expect(renderReadmeTable([short]).split('\n')[2]).toMatch(/^\| 2 \| 10,000 \| \$[\d,]+ \| – \|/);
  });

  it('writes the money as it is told and names the per-million column', () => {
    const [first] = SMALL_REPORTS.slice(0, 1);
    if (first === undefined) throw new Error('no report');
    const table = summaryTable([first], { money: usd, perMillionHead: 'Per million events (month 1)' });
    expect(table.split('\n')[0]).toContain('| Per million events (month 1) |');
    expect(table.split('\n')[2]).toMatch(/^\| 1 \| 1,000 \| \$[\d,]+\.\d\d \| \$[\d,]+\.\d\d \|/);
  });
});
