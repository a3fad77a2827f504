import { describe, expect, it } from 'vitest';
import { COST_ASSUMPTIONS } from '../../../../lib/pricing/cost-assumptions.js';
import { renderMarkdown } from '../../../../lib/pricing/render/markdown.js';
import { sensitivity } from '../../../../lib/pricing/report.js';
import { SMALL_TEMPLATE } from '../small-template.js';
import { SMALL_REPORTS, SMALL_REPORTS_BY_WORKLOAD } from './small-reports.js';

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(SMALL_REPORTS, sensitivity(3, SMALL_TEMPLATE));

  it('renders the summary, the assumptions, each tier and the tier-3 sensitivity', () => {
    for (const heading of [
      '## Summary',
      '## Assumptions',
      '## Tier 1: up to 1,000 events/s',
      '## Tier 4: 50,000 to 200,000 events/s',
      '## Sensitivity: tier 3',
    ]) {
      expect(markdown).toContain(`\n${heading}\n`);
    }
    for (const row of ['| events per request | 50 |', '| compression | 5:1 |', '| event size | 10.6 KB |']) {
      expect(markdown).toContain(row);
    }
  });

  it('lists every cost assumption with its value', () => {
    for (const [key, value] of Object.entries(COST_ASSUMPTIONS)) {
      expect(markdown).toContain(`- \`${key}\`: ${value.toLocaleString('en-US')}.`);
    }
  });

  it("gives each tier's summary row its ceiling, the steady-state month beside month 12, and the design document's figure", () => {
    expect(markdown).toContain(
      '| Tier | Ceiling (events/s) | Month 1 | Month 12 | Steady-state month | Steady state | Per million events (month 1) | Design document |',
    );
    expect(markdown).toMatch(
      /\n\| 1 \| 1,000 \| \$[\d,.]+ \| \$[\d,.]+ \| 25 \| \$[\d,.]+ \| \$[\d.]+ \| \$98 \|\n/,
    );
    expect(markdown).toMatch(
      /\n\| 4 \| 200,000 \| \$[\d,.]+ \| \$[\d,.]+ \| 25 \| \$[\d,.]+ \| \$[\d.]+ \| \$28,450 \|\n/,
    );
  });

  it("puts the steady-state month after each tier's projection, and a table of its volumes", () => {
    expect(markdown).toMatch(/\n\| Month \| 1 \| 2 \|[^\n]*\| 12 \| Steady \(month 25\) \|\n/);
    expect(markdown).toContain('| Volume | Holds | Month 1 | Steady state (month 25) |');
    for (const volume of ['hot', 'warm', 'archive']) {
      expect(markdown).toMatch(new RegExp(`\\n\\| ${volume} \\| [^|]+ \\| \\$[\\d,]+ \\| \\$[\\d,]+ \\|\\n`));
    }
  });

  it("renders each tier's levers: setting, monthly and steady-state saving, a cost signed −", () => {
    expect(markdown).toContain('\n## Levers\n');
    expect(markdown).toContain('\n### Tier 1: up to 1,000 events/s\n');
    expect(markdown).toContain('| Lever | Setting | Monthly saving | Steady-state saving |');
    const [tier1] = SMALL_REPORTS;
    const ec2 = tier1?.levers.find((l) => l.lever === 'instance family');
    expect(markdown).toContain(
      `| instance family | c7g.xlarge (from c5.xlarge) | $${ec2?.monthly.savingUsd.toFixed(2)} |`,
    );
    expect(markdown).toMatch(
      /\n\| Kinesis on-demand \| on-demand \(from provisioned shards\): provisioned wins by \$[\d,.]+ a month \| −\$[\d,.]+ \| −\$[\d,.]+ \|\n/,
    );
    expect(markdown).toContain('- **instance family**: A what-if: Graviton runs arm64 only');
  });

  it("renders every tier's floor at 3:1 and 5:1, with a verdict per tier, after the levers", () => {
    const section =
      markdown.split('\n## Floor: the load balancer and Firehose alone\n')[1]?.split('\n## ')[0] ?? '';
    expect(markdown.indexOf('## Floor')).toBeGreaterThan(markdown.indexOf('## Levers'));
    const rows = section.split('\n').filter((l) => /^\| [1-4] \|/.test(l));
    expect(rows.map((row) => row.split(' | ').slice(0, 2).join(' | '))).toEqual(
      SMALL_REPORTS.flatMap((r) => [`| ${r.tier} | 3:1`, `| ${r.tier} | 5:1`]),
    );
    for (const r of SMALL_REPORTS) expect(section).toContain(`- Tier ${r.tier}: `);
  });

  it('compares each sensitivity row with the baseline', () => {
    expect(markdown).toMatch(/\n\| baseline \| [^|]+ \| \$[\d,.]+ \| \$[\d,.]+ \| \+0\.0% \|/);
    expect(markdown).toMatch(/\n\| event size \| 2\.6 KB \| \$[\d,.]+ \| \$[\d,.]+ \| −\d+\.\d% \|/);
  });

  it('shows each tier at both workloads side by side, saying the headline is the worst case', () => {
    expect(markdown).not.toContain('## By workload');
    const withWorkloads = renderMarkdown(SMALL_REPORTS_BY_WORKLOAD, sensitivity(3, SMALL_TEMPLATE));
    const section = withWorkloads.split('\n## By workload\n')[1]?.split('\n## ')[0] ?? '';
    expect(section).toContain('gzip 3:1, fresh text in every event: the worst case');
    expect(section).toContain('Measured: unique 3.05:1, sessions 4.68:1.');
    expect(section).toContain(
      '| Tier | unique: month 1 | unique: steady state | sessions: month 1 | sessions: steady state | sessions vs unique, steady state |',
    );
    const rows = section.split('\n').filter((l) => /^\| [1-4] \|/.test(l));
    expect(rows).toHaveLength(4);
    for (const [i, row] of rows.entries()) {
      const r = SMALL_REPORTS_BY_WORKLOAD[i];
      const [unique, sessions] = r?.workloads ?? [];
      expect(row).toContain(
        `| $${unique?.monthlyUsd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} |`,
      );
      expect(row).toContain(
        `| $${sessions?.monthlyUsd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} |`,
      );
      expect(row).toMatch(/\| −\d+\.\d% \|$/);
    }
  });
});
