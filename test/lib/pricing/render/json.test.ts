import { describe, expect, it } from 'vitest';
import { renderJson } from '../../../../lib/pricing/render/json.js';
import { SMALL_REPORTS, SMALL_REPORTS_BY_WORKLOAD } from './small-reports.js';

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

  it("gives each tier's workloads: name, gzip ratio, bytes per event, month 1 and steady state", () => {
    const tiers = JSON.parse(renderJson('us-east-1', SMALL_REPORTS_BY_WORKLOAD)).tiers as {
      workloads: Record<string, unknown>[];
    }[];
    for (const tier of tiers) {
      expect(tier.workloads.map((w) => w.name)).toEqual(['unique', 'sessions']);
      for (const w of tier.workloads)
        expect(Object.keys(w).sort()).toEqual([
          'bytesPerEvent',
          'gzipRatio',
          'monthlyUsd',
          'name',
          'steadyStateMonth',
          'steadyStateUsd',
        ]);
    }
  });
});
