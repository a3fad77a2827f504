import { describe, expect, it } from 'vitest';
import { webAclRule } from '../../../../lib/pricing/rules/waf.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

const ACL = 'AWS::WAFv2::WebACL';

describe('webAclRule', () => {
  it('bills the web ACL, its rules and every ingest request it inspects', () => {
    // 50,000 events/s ÷ 500 = 100 requests/s × 2,628,000 s = 262.8M × $0.60 = $157.68;
    // $5 for the web ACL and 5 rules × $1.
    expect(summary(priceWith(webAclRule, [res(ACL, 'Acl', { rules: 5, requestShare: 1 })])[0] ?? [])).toEqual(
      [
        ['WAF web ACL', 1, 5],
        ['WAF rules', 5, 5],
        ['WAF requests', expect.closeTo(262.8, 9), expect.closeTo(157.68, 9)],
      ],
    );
  });

  it("bills only its load balancers' share of the requests", () => {
    // Half of 262.8M requests: 131.4M × $0.60 = $78.84.
    const [lines] = priceWith(webAclRule, [res(ACL, 'Acl', { rules: 5, requestShare: 0.5 })]);
    expect(summary(lines ?? [])[2]).toEqual([
      'WAF requests',
      expect.closeTo(131.4, 9),
      expect.closeTo(78.84, 9),
    ]);
  });

  it('bills the fixed months and no requests at idle: tier 1 costs $10 a month before traffic', () => {
    const [lines] = priceWith(webAclRule, [res(ACL, 'Acl', { rules: 5 })], { load: idle });
    expect(summary(lines ?? [])).toEqual([
      ['WAF web ACL', 1, 5],
      ['WAF rules', 5, 5],
      ['WAF requests', 0, 0],
    ]);
  });

  it('rejects a web ACL without a rule count', () => {
    expect(() => priceWith(webAclRule, [res(ACL, 'Acl')])).toThrow(/size.rules/);
  });
});
