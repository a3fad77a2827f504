import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTierTable } from '../../lib/tier-table.js';
import { TIER_IDS, TIERS } from '../../lib/tiers.js';

/** A markdown table row as its cells, so column alignment (the formatter's) does not matter. */
const cells = (row: string) =>
  row
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());

describe('README tier table', () => {
  it('is the sizing table, rendered: no tier in the README differs from lib/tiers.ts', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    // The rows of the table under "## Tiers" (other sections have tables keyed by tier too).
    const section = readme.slice(
      readme.indexOf('\n## Tiers\n'),
      readme.indexOf('\n## ', readme.indexOf('\n## Tiers\n') + 1),
    );
    const readmeRows = section
      .split('\n')
      .filter((line) => /^\|\s*[1-4]\s*\|/.test(line))
      .map(cells);
    const rendered = renderTierTable()
      .split('\n')
      .filter((line) => /^\|\s*[1-4]\s*\|/.test(line))
      .map(cells);
    expect(rendered).toHaveLength(TIER_IDS.length);
    expect(readmeRows).toEqual(rendered);
  });

  it('names the archive path Standard-IA / Deep Archive / expiry, with each tier’s days', () => {
    const [header, , ...rows] = renderTierTable().split('\n');
    expect(cells(header ?? '').at(-1)).toBe('archive: IA / Deep Archive / expiry');
    expect(rows.map((row) => cells(row).at(-1))).toEqual(
      TIER_IDS.map((id) => {
        const { infrequentAccessAfterDays, deepArchiveAfterDays, expireAfterDays } =
          TIERS[id].archive.lifecycle;
        return `${infrequentAccessAfterDays} / ${deepArchiveAfterDays} / ${expireAfterDays} d`;
      }),
    );
  });

  it('shows each tier’s retention: hot and warm days of rows, bodies, rollups', () => {
    const [header, , ...rows] = renderTierTable().split('\n');
    expect(cells(header ?? '').at(-2)).toBe('ClickHouse retention');
    expect(rows.map((row) => cells(row).at(-2))).toEqual([
      'rows 5 d gp3 + 395 d S3; bodies 30 d; rollups 35 / 400 d',
      'rows 2 d gp3 + 178 d S3; bodies 14 d; rollups 35 / 400 d',
      'rows 2 d gp3 + 88 d S3; bodies 7 d; rollups 35 / 400 d',
      'rows 7 d gp3 + 83 d S3; bodies 1 d; rollups 35 / 400 d',
    ]);
  });
});
