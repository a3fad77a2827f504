import { describe, expect, it } from 'vitest';
import { usd0 } from '../../../../lib/pricing/format.js';
import { renderSvg } from '../../../../lib/pricing/render/svg.js';
import { TIER_IDS } from '../../../../lib/tiers.js';
import { SMALL_REPORTS } from './small-reports.js';

describe('renderSvg', () => {
  const svg = renderSvg(SMALL_REPORTS).trim();

  it('is one closed svg element with labelled axes and the four tiers', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg\b/g)).toHaveLength(1);
    for (const tier of TIER_IDS) expect(svg).toContain(`>tier ${tier}</text>`);
    expect(svg).toContain('events/s');
    expect(svg).toContain('USD per month');
    // Every element opened is closed, in order.
    const stack: string[] = [];
    for (const [, end, name, selfClosing] of svg.matchAll(/<(\/?)([a-z]+)\b[^>]*?(\/?)>/g)) {
      if (end) expect(stack.pop()).toBe(name);
      else if (!selfClosing) stack.push(name as string);
    }
    expect(stack).toEqual([]);
  });

  it('draws four series of a point per tier, each point titled with its figure', () => {
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg.match(/<circle /g)).toHaveLength(4 * SMALL_REPORTS.length);
    expect(svg).toContain('<title>tier 1, design document: $98</title>');
  });

  it('draws the steady state of each tier that has one', () => {
    for (const r of SMALL_REPORTS) {
      const steady = r.steadyStateUsd ?? r.month12Usd ?? r.totalUsd;
      expect(svg).toContain(`<title>tier ${r.tier}, EvalForge, steady state: ${usd0(steady)}</title>`);
    }
    expect(svg).toContain('>EvalForge, steady state</text>');
  });
});
