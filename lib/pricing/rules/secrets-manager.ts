import { monthlyFee } from './rule.js';

/** `AWS::SecretsManager::Secret`: a monthly fee; its API calls are few, so not priced. */
export const secretRule = monthlyFee(
  'Secrets Manager secret',
  (p) => p.secretsManager.secretMonth,
  '1 secret (reads cached per execution environment)',
);
