import { describe, expect, it } from 'vitest';
import { renderGeneratedFiles, staleFiles } from '../../lib/docs.js';
import type { TemplateJson } from '../../lib/pricing/inventory.js';
import { TIER_IDS, type TierId } from '../../lib/tiers.js';
import { tierTemplateJson } from '../helpers/tier-templates.js';

describe('npm run docs', () => {
  it('would change nothing: every generated file is what the code renders now', async () => {
    const templates = new Map<TierId, TemplateJson>();
    for (const tier of TIER_IDS) templates.set(tier, await tierTemplateJson(tier));
    const files = renderGeneratedFiles((tier) => templates.get(tier) as TemplateJson);
    expect(files.map((file) => file.path.pathname.split('/').at(-1))).toEqual([
      'capacity.md',
      'cost-report.md',
      'cost-chart.svg',
      'README.md',
    ]);
    expect(staleFiles(files).map((file) => file.path.pathname)).toEqual([]);
  }, 240_000);
});
