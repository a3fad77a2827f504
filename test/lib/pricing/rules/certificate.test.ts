import { describe, expect, it } from 'vitest';
import { certificateRule } from '../../../../lib/pricing/rules/certificate.js';
import { priceWith, res } from './rule-fixtures.js';

describe('certificateRule', () => {
  it('rejects a private CA certificate, which has no price in the table', () => {
    const cert = res('AWS::CertificateManager::Certificate', 'Cert', { certificate: 'private' });
    expect(() => priceWith(certificateRule, [cert])).toThrow(
      /Cert: no price for a private CA certificate in us-east-1/,
    );
  });
});
