import { describe, expect, it } from 'vitest';
import { kmsKeyRule } from '../../../../lib/pricing/rules/kms.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

describe('kmsKeyRule', () => {
  it('bills $1 a month for a customer-managed key', () => {
    expect(priceWith(kmsKeyRule, [res('AWS::KMS::Key', 'Key')], { load: idle }).map(summary)).toEqual([
      [['KMS customer-managed key', 1, 1]],
    ]);
  });
});
