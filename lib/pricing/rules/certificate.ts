import { CostModelError } from '../cost-model-error.js';
import { perResource } from './rule.js';

/**
 * `AWS::CertificateManager::Certificate`: a public certificate is free (the inventory marks it so
 * and it never gets here); a private CA's certificate has no price in the table.
 */
export const certificateRule = perResource((r, { prices }) => {
  throw new CostModelError(
    `${r.type} ${r.logicalId}: no price for a private CA certificate in ${prices.region}`,
  );
});
