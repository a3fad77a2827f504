import { Stack, Token, Validations } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { type IVpc, SecurityGroup, SubnetType } from 'aws-cdk-lib/aws-ec2';
import {
  type ApplicationListener,
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  DesyncMitigationMode,
  IpAddressType,
  ListenerAction,
  ListenerCertificate,
  ListenerCondition,
  SslPolicy,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LambdaTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HEALTH_PATH, QUERY_HEALTH_PATH, QUERY_ROUTE_PATTERNS } from '../../functions/shared/http.js';

export interface IngestLoadBalancerProps {
  /** The VPC whose public subnets the load balancer lives in. */
  readonly vpc: IVpc;
  /** The certificate for the regional endpoint name the HTTPS listener answers on. */
  readonly certificate: ICertificate;
  /** The ingest validator: gets every request that is not a query route (`POST /v1/events`, `GET /v1/health`). */
  readonly validator: IFunction;
  /** The query API: gets the paths of `QUERY_ROUTE_PATTERNS`. */
  readonly query: IFunction;
  /** Where the load balancer writes its access logs; it must use SSE-S3 (see `AccessLogBucket`). */
  readonly accessLogs: IBucket;
  /**
   * The key prefix of this load balancer's access logs in `accessLogs`.
   *
   * @default - no prefix: log object names already carry the load balancer's id
   */
  readonly accessLogPrefix?: string;
  /**
   * Whether the load balancer also answers on IPv6; the VPC's public subnets then need IPv6 CIDRs.
   *
   * @default false
   */
  readonly dualStack?: boolean;
}

/**
 * The largest number of condition values one listener rule may carry; each pattern here has at
 * most one wildcard, so the rule's quota of 5 wildcards holds too. See
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
 * A pattern added at the end of `QUERY_ROUTE_PATTERNS` leaves the earlier rules as they were.
 */
const MAX_CONDITION_VALUES = 5;
const FIRST_QUERY_RULE_PRIORITY = 10;

/**
 * One internet-facing Application Load Balancer in front of the two Lambda functions: HTTPS on
 * 443 with the query routes sent to the query function and everything else to the ingest
 * validator, and HTTP on 80 answering only with a permanent redirect to HTTPS. Weighted DNS
 * spreads a region's traffic over several of these.
 *
 * The stack needs a concrete region: access-log delivery is granted to that region's Elastic
 * Load Balancing principal, which CDK decides at synth time.
 */
export class IngestLoadBalancer extends Construct {
  /** The load balancer, for the weighted alias records and alarms. */
  public readonly loadBalancer: ApplicationLoadBalancer;
  /** The HTTPS listener on 443. */
  public readonly httpsListener: ApplicationListener;
  /** The Lambda target group of the ingest validator, the listener's default action. */
  public readonly validatorTargets: ApplicationTargetGroup;
  /** The Lambda target group of the query function. */
  public readonly queryTargets: ApplicationTargetGroup;

  constructor(scope: Construct, id: string, props: IngestLoadBalancerProps) {
    super(scope, id);

    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      throw new Error(
        `IngestLoadBalancer ${this.node.path}: the stack needs a concrete region (env.region), because ` +
          'access-log delivery is granted to the Elastic Load Balancing principal of that region',
      );
    }

    // Lambda targets are invoked by the service, not over the VPC, so the load balancer needs no egress.
    const securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Internet-facing ingest load balancer: HTTPS, and HTTP only to redirect to HTTPS',
      allowAllOutbound: false,
    });
    Validations.of(securityGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason:
        'The public ingest and query API: any client on the internet must reach 443, and 80 only ' +
        'answers with a redirect to 443. No other port is open.',
    });

    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      internetFacing: true,
      ipAddressType: props.dualStack ? IpAddressType.DUAL_STACK : IpAddressType.IPV4,
      securityGroup,
      dropInvalidHeaderFields: true,
      desyncMitigationMode: DesyncMitigationMode.DEFENSIVE,
      deletionProtection: true,
    });
    this.loadBalancer.logAccessLogs(props.accessLogs, props.accessLogPrefix);

    // Multi-value headers stay off (the ALB default), as the functions expect (functions/shared/alb.ts).
    this.validatorTargets = new ApplicationTargetGroup(this, 'ValidatorTargets', {
      targets: [new LambdaTarget(props.validator)],
      multiValueHeadersEnabled: false,
      // Off by default for Lambda targets; without it the alias records' target health means nothing.
      healthCheck: { enabled: true, path: HEALTH_PATH, healthyHttpCodes: '200' },
    });
    this.queryTargets = new ApplicationTargetGroup(this, 'QueryTargets', {
      targets: [new LambdaTarget(props.query)],
      multiValueHeadersEnabled: false,
      // Route 53 evaluates the load balancer's target health across its target groups: a group
      // with health checks off has no healthy target to count.
      healthCheck: { enabled: true, path: QUERY_HEALTH_PATH, healthyHttpCodes: '200' },
    });

    this.httpsListener = this.loadBalancer.addListener('Https', {
      protocol: ApplicationProtocol.HTTPS,
      port: 443,
      certificates: [ListenerCertificate.fromCertificateManager(props.certificate)],
      sslPolicy: SslPolicy.RECOMMENDED_TLS,
      defaultAction: ListenerAction.forward([this.validatorTargets]),
      open: true,
    });

    const patterns = QUERY_ROUTE_PATTERNS;
    for (let start = 0; start < patterns.length; start += MAX_CONDITION_VALUES) {
      const rule = start / MAX_CONDITION_VALUES;
      this.httpsListener.addAction(`QueryRoutes${rule + 1}`, {
        priority: FIRST_QUERY_RULE_PRIORITY + rule,
        conditions: [ListenerCondition.pathPatterns(patterns.slice(start, start + MAX_CONDITION_VALUES))],
        action: ListenerAction.forward([this.queryTargets]),
      });
    }

    this.loadBalancer.addRedirect({
      sourceProtocol: ApplicationProtocol.HTTP,
      sourcePort: 80,
      targetProtocol: ApplicationProtocol.HTTPS,
      targetPort: 443,
    });
  }
}
