import { describe, expect, it } from 'vitest';
import { renderJson } from '../../../../lib/pricing/render/json.js';
import { SMALL_REPORTS } from './small-reports.js';

describe('renderJson', () => {
  it('gives the region and the reports as they are, indented, ending in a newline', () => {
    const json = renderJson('us-east-1', SMALL_REPORTS);
    expect(JSON.parse(json)).toEqual({
      region: 'us-east-1',
      tiers: JSON.parse(JSON.stringify(SMALL_REPORTS)),
    });
    expect(json.startsWith('{\n  "region": "us-east-1",\n  "tiers": [\n')).toBe(true);
    expect(json.endsWith('}\n')).toBe(true);
  });
});
