import { Stack } from 'aws-cdk-lib';
import type { IApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { WafLimitsSpec } from '../tiers.js';

export interface IngestFirewallProps {
  /** The load balancers the web ACL guards: every ingest load balancer of the region. */
  readonly loadBalancers: readonly IApplicationLoadBalancer[];
  /** The tier's limits (`tier.ingest.waf`). */
  readonly limits: WafLimitsSpec;
}

/**
 * The CloudWatch metric name (namespace `AWS/WAFV2`, dimensions `WebACL`, `Region` and `Rule`) of
 * each rule, and `webAcl` for the web ACL's own (`Rule` = `ALL`): the dashboard and alarms read these.
 */
export const INGEST_FIREWALL_METRICS = {
  webAcl: 'IngestWebAcl',
  ipReputation: 'AmazonIpReputation',
  keylessPerIp: 'KeylessPerIp',
  perKey: 'PerApiKey',
  perAddress: 'PerAddress',
  common: 'CommonRuleSet',
  knownBadInputs: 'KnownBadInputs',
} as const;

/** The error code of WAF's 429 body, beside the API's own codes (docs/api.md). */
export const RATE_LIMITED_CODE = 'rate_limited';

/**
 * Managed rules that inspect the body, set to count instead of block. Every ingest request is a
 * gzip batch of up to 1 MB (SizeRestrictions_BODY blocks anything over 8 KB), and the events carry
 * captured LLM prompts and responses: code, file paths, URLs and `${…}` are what such text holds,
 * and the API only ever parses it as data. Counting keeps their metrics without losing events.
 */
export const BODY_RULES_COUNTED = {
  AWSManagedRulesCommonRuleSet: [
    'SizeRestrictions_BODY',
    'CrossSiteScripting_BODY',
    'GenericLFI_BODY',
    'GenericRFI_BODY',
    'EC2MetaDataSSRF_BODY',
  ],
  AWSManagedRulesKnownBadInputsRuleSet: ['JavaDeserializationRCE_BODY', 'Log4JRCE_BODY'],
} as const;

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  // Sampled requests (the last 3 hours, in the console) are free: they show who was limited.
  sampledRequestsEnabled: true,
  metricName,
});

const managedRuleGroup = (
  name: keyof typeof BODY_RULES_COUNTED | 'AWSManagedRulesAmazonIpReputationList',
  priority: number,
  metricName: string,
): CfnWebACL.RuleProperty => {
  const counted: readonly string[] =
    name in BODY_RULES_COUNTED ? BODY_RULES_COUNTED[name as keyof typeof BODY_RULES_COUNTED] : [];
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ...(counted.length === 0
          ? {}
          : { ruleActionOverrides: counted.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }),
      },
    },
    visibilityConfig: visibility(metricName),
  };
};

/** A block answered with 429, `Retry-After` and the API's error body. */
const tooManyRequests = (bodyKey: string, retryAfterSec: number): CfnWebACL.RuleActionProperty => ({
  block: {
    customResponse: {
      responseCode: 429,
      customResponseBodyKey: bodyKey,
      responseHeaders: [{ name: 'Retry-After', value: String(retryAfterSec) }],
    },
  },
});

/** Requests whose `Authorization` is absent or not `Bearer efk_…` (the scheme in any case, as the validator reads it). */
const WITHOUT_KEY: CfnWebACL.StatementProperty = {
  notStatement: {
    statement: {
      byteMatchStatement: {
        fieldToMatch: { singleHeader: { Name: 'authorization' } },
        positionalConstraint: 'STARTS_WITH',
        searchString: 'bearer efk_',
        textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
      },
    },
  },
};

/**
 * A browser's CORS preflight (`OPTIONS`, from the web dashboard's page): it never carries a key,
 * by the standard, so the keyless limit would count every one a dashboard sends (one per new URL
 * and minutes). The per-address limit still counts them, and the query function answers them.
 */
const CORS_PREFLIGHT: CfnWebACL.StatementProperty = {
  byteMatchStatement: {
    fieldToMatch: { method: {} },
    positionalConstraint: 'EXACTLY',
    searchString: 'OPTIONS',
    textTransformations: [{ priority: 0, type: 'NONE' }],
  },
};

/** What the keyless limit counts: requests without a key, but for preflights. */
const KEYLESS_COUNTED: CfnWebACL.StatementProperty = {
  andStatement: { statements: [WITHOUT_KEY, { notStatement: { statement: CORS_PREFLIGHT } }] },
};

const errorBody = (message: string): CfnWebACL.CustomResponseBodyProperty => ({
  contentType: 'APPLICATION_JSON',
  content: JSON.stringify({ error: { code: RATE_LIMITED_CODE, message } }),
});

const n = (value: number) => value.toLocaleString('en-US');

/**
 * AWS WAF in front of the ingest load balancers: one regional web ACL associated with each of them.
 * In order: Amazon's IP reputation list; a rate limit per address on requests without a
 * `Bearer efk_` key (browsers' CORS preflights, keyless by the standard, aside); a rate limit per API key (the `Authorization` header's value, so one tenant
 * cannot take the tier's capacity from the others); a higher one per address whatever the key (a
 * flood that invents a key value per request gets a counter per value above); the common and
 * known-bad-inputs rule sets,
 * with the rules that inspect the body set to count (`BODY_RULES_COUNTED`). A rate-limited request
 * gets a 429 with `Retry-After` and the API's error body, which the SDK retries after that delay.
 *
 * WAF logging stays off, for cost: at tier 4's ~500 requests/s a full log is ~1.6 TB a month, ~$800
 * at the vended-logs price; the per-rule metrics and the sampled requests (the last 3 hours, free)
 * show what was limited or blocked. (cdk-nag's AwsSolutions pack has no WAF logging rule to acknowledge.)
 */
export class IngestFirewall extends Construct {
  public readonly webAcl: CfnWebACL;
  /** The web ACL's name: the `WebACL` dimension of its metrics. */
  public readonly webAclName: string;

  constructor(scope: Construct, id: string, props: IngestFirewallProps) {
    super(scope, id);
    const { limits } = props;
    if (props.loadBalancers.length === 0) {
      throw new Error(`IngestFirewall ${this.node.path}: give it at least one load balancer`);
    }

    this.webAclName = `${Stack.of(this).stackName}-ingest`;
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: this.webAclName,
      description:
        'EvalForge ingest: IP reputation, rate limits per API key and per keyless address, common rules',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(INGEST_FIREWALL_METRICS.webAcl),
      customResponseBodies: {
        'key-rate-limited': errorBody(
          `more than ${n(limits.perKeyRequestsPer5Min)} requests in 5 minutes with this API key; retry after Retry-After seconds`,
        ),
        'address-rate-limited': errorBody(
          `more than ${n(limits.perAddressRequestsPer5Min)} requests in 5 minutes from this address; retry after Retry-After seconds`,
        ),
        'ip-rate-limited': errorBody(
          `more than ${n(limits.perIpRequestsPer5Min)} requests in 5 minutes from this address without an API key; send "Authorization: Bearer <api key>"`,
        ),
      },
      rules: [
        managedRuleGroup('AWSManagedRulesAmazonIpReputationList', 0, INGEST_FIREWALL_METRICS.ipReputation),
        {
          name: 'KeylessPerIp',
          priority: 1,
          action: tooManyRequests('ip-rate-limited', limits.retryAfterSec),
          statement: {
            rateBasedStatement: {
              limit: limits.perIpRequestsPer5Min,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              scopeDownStatement: KEYLESS_COUNTED,
            },
          },
          visibilityConfig: visibility(INGEST_FIREWALL_METRICS.keylessPerIp),
        },
        {
          name: 'PerApiKey',
          priority: 2,
          action: tooManyRequests('key-rate-limited', limits.retryAfterSec),
          statement: {
            rateBasedStatement: {
              limit: limits.perKeyRequestsPer5Min,
              evaluationWindowSec: 300,
              // A request without the header is not counted here: the rule above limits those.
              aggregateKeyType: 'CUSTOM_KEYS',
              customKeys: [
                { header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } },
              ],
            },
          },
          visibilityConfig: visibility(INGEST_FIREWALL_METRICS.perKey),
        },
        {
          name: 'PerAddress',
          priority: 3,
          action: tooManyRequests('address-rate-limited', limits.retryAfterSec),
          statement: {
            rateBasedStatement: {
              limit: limits.perAddressRequestsPer5Min,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility(INGEST_FIREWALL_METRICS.perAddress),
        },
        managedRuleGroup('AWSManagedRulesCommonRuleSet', 4, INGEST_FIREWALL_METRICS.common),
        managedRuleGroup('AWSManagedRulesKnownBadInputsRuleSet', 5, INGEST_FIREWALL_METRICS.knownBadInputs),
      ],
    });

    props.loadBalancers.forEach((alb, i) => {
      new CfnWebACLAssociation(this, `Association${i + 1}`, {
        resourceArn: alb.loadBalancerArn,
        webAclArn: this.webAcl.attrArn,
      });
    });
  }
}
