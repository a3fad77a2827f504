import { monthlyFee } from './rule.js';

/** `AWS::KMS::Key`: a customer-managed key's monthly fee; its requests are not priced. */
export const kmsKeyRule = monthlyFee(
  'KMS customer-managed key',
  (p) => p.kms.customerManagedKeyMonth,
  '1 key',
);
