import { describe, expect, it } from 'vitest';
import { CostModelError } from '../../../lib/pricing/cost-model-error.js';
import { checkLoad, type Load } from '../../../lib/pricing/load.js';

const load: Load = { eventsPerSec: 50_000, eventBytes: 5_300, gzipRatio: 5, eventsPerRequest: 500 };

describe('checkLoad', () => {
  it('takes a load, and no events at all', () => {
    expect(() => checkLoad(load)).not.toThrow();
    expect(() => checkLoad({ ...load, eventsPerSec: 0 })).not.toThrow();
  });

  it.each([
    ['eventsPerSec', -1],
    ['eventsPerSec', Number.POSITIVE_INFINITY],
    ['eventBytes', 0],
    ['gzipRatio', -5],
    ['eventsPerRequest', Number.NaN],
  ])('rejects a load with %s = %d, naming it', (key, value) => {
    expect(() => checkLoad({ ...load, [key]: value })).toThrow(CostModelError);
    expect(() => checkLoad({ ...load, [key]: value })).toThrow(`load.${key}`);
  });
});
