import { CfnHealthCheck, CfnRecordSet } from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';

/** Route 53 health checks: every 30 s (10 s is the paid "fast" option), 3 failures to turn unhealthy. */
export const HEALTH_CHECK = {
  requestIntervalSec: 30,
  failureThreshold: 3,
  /** The validator answers it (functions/shared/http.ts's `HEALTH_PATH`). */
  path: '/v1/health',
} as const;

/** The latency records' TTL is the alias targets' own (60 s for ALB aliases). */
export const ALIAS_TTL_SEC = 60;

export interface LatencyRoutingProps {
  /** The hosted zone id of `domainName`. */
  readonly hostedZoneId: string;
  /** The deployment's domain: the global name is `ingest.<domain>`. */
  readonly domainName: string;
  /** The tier's regions; each has `ingest.<region>.<domain>` (its weighted records). */
  readonly regions: readonly string[];
  /**
   * Whether the regional load balancers answer over IPv6 too: an AAAA record joins each A.
   * @default false
   */
  readonly dualStack?: boolean;
}

/**
 * One global endpoint name, `ingest.<domain>`, over the regional ones: one latency record per
 * region, an alias of that region's `ingest.<region>.<domain>` (the weighted records over its load
 * balancers), answered only while the region's health check passes. A client resolves to the
 * region nearest to it that is healthy.
 *
 * Why not Global Accelerator: at tier 4's ceiling the load balancers take ~900 TB of request bodies
 * a month, and Global Accelerator's data-transfer premium ($0.015/GB) would add ~$13,000 a month
 * plus $0.025/h (~$18). These records cost cents a month in queries (alias queries are free), plus
 * one health check per region. The price is a slower failover: a region's failure is seen after 3
 * failed checks 30 s apart (~90 s; ~30 s with fast checks) and clients follow after the record's
 * 60 s TTL, ~2.5 minutes against Global Accelerator's ~30 s. Nothing is lost meanwhile: the SDK
 * keeps an unacknowledged batch and retries it with the same Idempotency-Key.
 */
export class LatencyRouting extends Construct {
  /** The global endpoint name, `ingest.<domain>`. */
  readonly endpointName: string;
  /** Each region's health check, by region. */
  readonly healthChecks: Readonly<Record<string, CfnHealthCheck>>;

  constructor(scope: Construct, id: string, props: LatencyRoutingProps) {
    super(scope, id);
    if (props.regions.length < 2) {
      throw new Error(`LatencyRouting: give at least two regions, got ${props.regions.length}`);
    }
    const domain = props.domainName.replace(/\.$/, '');
    this.endpointName = `ingest.${domain}`;
    const healthChecks: Record<string, CfnHealthCheck> = {};
    for (const region of props.regions) {
      const regional = `ingest.${region}.${domain}`;
      const part = pascal(region);
      const check = new CfnHealthCheck(this, `${part}Health`, {
        healthCheckConfig: {
          type: 'HTTPS',
          fullyQualifiedDomainName: regional,
          port: 443,
          resourcePath: HEALTH_CHECK.path,
          enableSni: true,
          requestInterval: HEALTH_CHECK.requestIntervalSec,
          failureThreshold: HEALTH_CHECK.failureThreshold,
        },
        healthCheckTags: [{ key: 'Name', value: `EvalForge ${regional}` }],
      });
      healthChecks[region] = check;
      for (const type of props.dualStack ? ['A', 'AAAA'] : ['A']) {
        new CfnRecordSet(this, `${part}${type === 'A' ? 'A' : 'Aaaa'}`, {
          hostedZoneId: props.hostedZoneId,
          name: `${this.endpointName}.`,
          type,
          setIdentifier: region,
          region,
          healthCheckId: check.attrHealthCheckId,
          aliasTarget: {
            dnsName: `${regional}.`,
            hostedZoneId: props.hostedZoneId,
            evaluateTargetHealth: true,
          },
        });
      }
    }
    this.healthChecks = healthChecks;
  }
}

/** `eu-west-1` → `EuWest1`: a construct id part. */
function pascal(region: string): string {
  return region
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
