import { describe, expect, it } from 'vitest';
import { secretRule } from '../../../../lib/pricing/rules/secrets-manager.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

describe('secretRule', () => {
  it('bills $0.40 a month for each secret', () => {
    const slice = [res('AWS::SecretsManager::Secret', 'Admin'), res('AWS::SecretsManager::Secret', 'Loader')];
    expect(priceWith(secretRule, slice, { load: idle }).map(summary)).toEqual([
      [['Secrets Manager secret', 1, 0.4]],
      [['Secrets Manager secret', 1, 0.4]],
    ]);
  });
});
