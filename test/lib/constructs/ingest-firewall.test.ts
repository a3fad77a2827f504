import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  BODY_RULES_COUNTED,
  INGEST_FIREWALL_METRICS,
  IngestFirewall,
  RATE_LIMITED_CODE,
} from '../../../lib/constructs/ingest-firewall.js';
import { TIER_IDS, TIERS } from '../../../lib/tiers.js';
import { judgeResponse } from '../../../sdk/response.js';

const albArn = (i: number) =>
  `arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/ingest-${i}/0000000000000${i}`;

function build(tierId: (typeof TIER_IDS)[number], options: { nag?: boolean; bareBucket?: boolean } = {}) {
  const tier = TIERS[tierId];
  const app = new App();
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
  const loadBalancers = Array.from({ length: tier.ingest.albCount }, (_, i) =>
    ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, `Alb${i + 1}`, {
      loadBalancerArn: albArn(i + 1),
      securityGroupId: `sg-0000000${i + 1}`,
    }),
  );
  const firewall = new IngestFirewall(stack, 'Firewall', { loadBalancers, limits: tier.ingest.waf });
  // A bucket with findings of its own: proves the cdk-nag check below can fail.
  if (options.bareBucket) new Bucket(stack, 'Bare');
  return { app, stack, firewall, tier };
}

type Rule = {
  Name: string;
  Priority: number;
  Action?: { Block?: { CustomResponse?: Record<string, unknown> } };
  Statement: Record<string, Record<string, unknown>>;
};

function webAcl(stack: Stack) {
  const acls = Template.fromStack(stack).findResources('AWS::WAFv2::WebACL');
  expect(Object.keys(acls)).toHaveLength(1);
  return Object.values(acls)[0]?.Properties as {
    Rules: Rule[];
    CustomResponseBodies: Record<string, { ContentType: string; Content: string }>;
    Scope: string;
    DefaultAction: unknown;
    VisibilityConfig: Record<string, unknown>;
    Name: string;
  };
}

const rule = (stack: Stack, name: string): Rule => {
  const found = webAcl(stack).Rules.find((r) => r.Name === name);
  if (!found) throw new Error(`no rule ${name}`);
  return found;
};

describe.each(TIER_IDS)('IngestFirewall in tier %i', (tierId) => {
  it('creates one regional web ACL that allows by default, with metrics and sampled requests', () => {
    const { stack, firewall } = build(tierId);
    const acl = webAcl(stack);
    expect(acl.Scope).toBe('REGIONAL');
    expect(acl.DefaultAction).toEqual({ Allow: {} });
    expect(acl.Name).toBe('Test-ingest');
    expect(firewall.webAclName).toBe('Test-ingest');
    expect(acl.VisibilityConfig).toEqual({
      CloudWatchMetricsEnabled: true,
      SampledRequestsEnabled: true,
      MetricName: INGEST_FIREWALL_METRICS.webAcl,
    });
    for (const r of acl.Rules) {
      expect(r).toMatchObject({ VisibilityConfig: { CloudWatchMetricsEnabled: true } });
    }
  });

  it('associates the web ACL with each load balancer, once', () => {
    const { stack, tier } = build(tierId);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', tier.ingest.albCount);
    const associations = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'));
    expect(associations.map((a) => a.Properties.ResourceArn).sort()).toEqual(
      Array.from({ length: tier.ingest.albCount }, (_, i) => albArn(i + 1)).sort(),
    );
    const aclId = Object.keys(template.findResources('AWS::WAFv2::WebACL'))[0];
    for (const a of associations) expect(a.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
  });

  it("limits each API key (the Authorization header's value) to the tier's requests per 5 minutes, with a 429", () => {
    const { stack, tier } = build(tierId);
    const perKey = rule(stack, 'PerApiKey');
    expect(perKey.Statement.RateBasedStatement).toEqual({
      Limit: tier.ingest.waf.perKeyRequestsPer5Min,
      EvaluationWindowSec: 300,
      AggregateKeyType: 'CUSTOM_KEYS',
      CustomKeys: [
        { Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } },
      ],
    });
    expect(perKey.Action).toEqual({
      Block: {
        CustomResponse: {
          ResponseCode: 429,
          CustomResponseBodyKey: 'key-rate-limited',
          ResponseHeaders: [{ Name: 'Retry-After', Value: String(tier.ingest.waf.retryAfterSec) }],
        },
      },
    });
  });

  it("limits each address's requests without a Bearer efk_ key to the tier's figure, with a 429, CORS preflights aside", () => {
    const { stack, tier } = build(tierId);
    const keyless = rule(stack, 'KeylessPerIp');
    expect(keyless.Statement.RateBasedStatement).toEqual({
      Limit: tier.ingest.waf.perIpRequestsPer5Min,
      EvaluationWindowSec: 300,
      AggregateKeyType: 'IP',
      ScopeDownStatement: {
        AndStatement: {
          Statements: [
            {
              NotStatement: {
                Statement: {
                  ByteMatchStatement: {
                    FieldToMatch: { SingleHeader: { Name: 'authorization' } },
                    PositionalConstraint: 'STARTS_WITH',
                    SearchString: 'bearer efk_',
                    TextTransformations: [{ Priority: 0, Type: 'LOWERCASE' }],
                  },
                },
              },
            },
            // A browser's preflight carries no key by the standard: the dashboard sends one per new URL.
            {
              NotStatement: {
                Statement: {
                  ByteMatchStatement: {
                    FieldToMatch: { Method: {} },
                    PositionalConstraint: 'EXACTLY',
                    SearchString: 'OPTIONS',
                    TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                  },
                },
              },
            },
          ],
        },
      },
    });
    expect(keyless.Action?.Block?.CustomResponse).toMatchObject({
      ResponseCode: 429,
      CustomResponseBodyKey: 'ip-rate-limited',
      ResponseHeaders: [{ Name: 'Retry-After', Value: String(tier.ingest.waf.retryAfterSec) }],
    });
  });

  it("answers a limited client with the API's error body, naming the limit, which the SDK retries after Retry-After", () => {
    const { stack, tier } = build(tierId);
    const bodies = webAcl(stack).CustomResponseBodies;
    expect(Object.keys(bodies).sort()).toEqual([
      'address-rate-limited',
      'ip-rate-limited',
      'key-rate-limited',
    ]);
    const key = bodies['key-rate-limited'];
    expect(key?.ContentType).toBe('APPLICATION_JSON');
    const parsed = JSON.parse(key?.Content ?? '') as { error: { code: string; message: string } };
    expect(Object.keys(parsed)).toEqual(['error']);
    expect(parsed.error.code).toBe(RATE_LIMITED_CODE);
    expect(parsed.error.message).toContain(tier.ingest.waf.perKeyRequestsPer5Min.toLocaleString('en-US'));
    expect(bodies['address-rate-limited']?.Content).toContain(
      tier.ingest.waf.perAddressRequestsPer5Min.toLocaleString('en-US'),
    );
    for (const body of Object.values(bodies)) {
      const verdict = judgeResponse(
        { status: 429, body: body.Content, retryAfter: String(tier.ingest.waf.retryAfterSec) },
        500,
        0,
      );
      expect(verdict).toMatchObject({
        kind: 'retry-all',
        status: 429,
        retryAfterMs: tier.ingest.waf.retryAfterSec * 1_000,
      });
    }
  });
});

describe('IngestFirewall', () => {
  it('runs the IP reputation list first, then the three rate limits, then the common and known-bad-inputs rule sets', () => {
    const { stack } = build(3);
    const rules = [...webAcl(stack).Rules].sort((a, b) => a.Priority - b.Priority);
    expect(rules.map((r) => r.Name)).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'KeylessPerIp',
      'PerApiKey',
      'PerAddress',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    expect(new Set(rules.map((r) => r.Priority)).size).toBe(rules.length);
  });

  it.each(Object.entries(BODY_RULES_COUNTED))(
    'counts rather than blocks the body rules of %s: every batch is over 8 KB and carries LLM text',
    (group, counted) => {
      const { stack } = build(1);
      const managed = rule(stack, group);
      expect(managed).toMatchObject({ OverrideAction: { None: {} } });
      expect(managed.Statement.ManagedRuleGroupStatement).toEqual({
        VendorName: 'AWS',
        Name: group,
        RuleActionOverrides: counted.map((name) => ({ Name: name, ActionToUse: { Count: {} } })),
      });
    },
  );

  it('counts SizeRestrictions_BODY, which would block every ingest request', () => {
    expect(BODY_RULES_COUNTED.AWSManagedRulesCommonRuleSet).toContain('SizeRestrictions_BODY');
  });

  it('blocks by the IP reputation list as it is', () => {
    const { stack } = build(1);
    expect(rule(stack, 'AWSManagedRulesAmazonIpReputationList').Statement.ManagedRuleGroupStatement).toEqual({
      VendorName: 'AWS',
      Name: 'AWSManagedRulesAmazonIpReputationList',
    });
  });

  it('gives every rule its own metric name', () => {
    const { stack } = build(4);
    const names = webAcl(stack).Rules.map(
      (r) => (r as unknown as { VisibilityConfig: { MetricName: string } }).VisibilityConfig.MetricName,
    );
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(
      Object.values(INGEST_FIREWALL_METRICS)
        .filter((m) => m !== INGEST_FIREWALL_METRICS.webAcl)
        .sort(),
    );
  });

  it('rejects an empty list of load balancers', () => {
    const stack = new Stack(new App(), 'Test');
    expect(
      () => new IngestFirewall(stack, 'Firewall', { loadBalancers: [], limits: TIERS[1].ingest.waf }),
    ).toThrow(/at least one load balancer/);
  });

  it('passes cdk-nag with no acknowledgement', () => {
    const { app, stack } = build(4, { nag: true });
    expect(() => app.synth()).not.toThrow();
    Template.fromStack(stack).resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
  });

  it('fails cdk-nag on a finding beside it (the check above can fail)', () => {
    const { app } = build(1, { nag: true, bareBucket: true });
    let report = '';
    try {
      app.synth();
    } catch (error) {
      report = String(error);
    }
    expect(report).toMatch(/AwsSolutions-S1\b/);
    expect(report).not.toMatch(/Firewall/);
  });
});

describe('the limit per address, whatever the key', () => {
  it.each(TIER_IDS)(
    'tier %i: counts every request of an address, at four keys worth, answering 429',
    (id) => {
      const { stack, tier } = build(id);
      const perAddress = rule(stack, 'PerAddress');
      expect(perAddress.Statement.RateBasedStatement).toEqual({
        Limit: tier.ingest.waf.perAddressRequestsPer5Min,
        EvaluationWindowSec: 300,
        AggregateKeyType: 'IP',
      });
      expect(tier.ingest.waf.perAddressRequestsPer5Min).toBe(4 * tier.ingest.waf.perKeyRequestsPer5Min);
      expect(perAddress.Action).toMatchObject({ Block: { CustomResponse: { ResponseCode: 429 } } });
    },
  );
});
