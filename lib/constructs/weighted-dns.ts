import { type IApplicationLoadBalancer, IpAddressType } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AaaaRecord, ARecord, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { LoadBalancerTarget } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface WeightedDnsProps {
  /** The hosted zone of the deployment's domain. */
  readonly zone: IHostedZone;
  /**
   * The regional endpoint name, `ingest.<region>.<domain>` (sdk/endpoint.ts): fully qualified
   * inside `zone`, or relative to it.
   */
  readonly recordName: string;
  /** The load balancers that share the name. */
  readonly loadBalancers: readonly IApplicationLoadBalancer[];
  /** One weight per load balancer, in the same order: an integer 0–255, not all 0. */
  readonly weights: readonly number[];
}

/** Route 53 accepts weights 0–255; a weight of 0 takes a load balancer out of rotation. */
const MAX_WEIGHT = 255;

/**
 * One regional endpoint name over several load balancers: a weighted alias record per load
 * balancer (`alb-1`, `alb-2`, …), all with the same name, each answering only while its load
 * balancer has healthy targets. An AAAA record joins the A record for each dual-stack load
 * balancer. Record IDs follow the position in `loadBalancers`, so adding load balancers leaves
 * the existing records in place.
 */
export class WeightedDns extends Construct {
  /** The fully qualified endpoint name, without the trailing dot. */
  public readonly endpointName: string;

  constructor(scope: Construct, id: string, props: WeightedDnsProps) {
    super(scope, id);
    validate(props);

    props.loadBalancers.forEach((loadBalancer, index) => {
      const common = {
        zone: props.zone,
        recordName: props.recordName,
        target: RecordTarget.fromAlias(new LoadBalancerTarget(loadBalancer, { evaluateTargetHealth: true })),
        weight: props.weights[index],
        setIdentifier: `alb-${index + 1}`,
      };
      new ARecord(this, `Alb${index + 1}A`, common);
      if (isDualStack(loadBalancer)) new AaaaRecord(this, `Alb${index + 1}Aaaa`, common);
    });

    this.endpointName = qualify(props.recordName, props.zone.zoneName);
  }
}

function validate(props: WeightedDnsProps): void {
  const { loadBalancers, weights } = props;
  if (loadBalancers.length === 0) {
    throw new Error('WeightedDns: loadBalancers is empty; give at least one load balancer');
  }
  if (weights.length !== loadBalancers.length) {
    throw new Error(
      `WeightedDns: weights has ${weights.length} entries but loadBalancers has ${loadBalancers.length}; ` +
        'give one weight per load balancer',
    );
  }
  weights.forEach((weight, index) => {
    if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
      throw new Error(
        `WeightedDns: weights[${index}] is ${weight}; each weight must be an integer 0–${MAX_WEIGHT}`,
      );
    }
  });
  if (weights.every((weight) => weight === 0)) {
    throw new Error('WeightedDns: weights are all 0; at least one load balancer must take traffic');
  }
  if (props.recordName.trim() === '') {
    throw new Error('WeightedDns: recordName is empty; give the regional endpoint name');
  }
}

function isDualStack(loadBalancer: IApplicationLoadBalancer): boolean {
  return (
    loadBalancer.ipAddressType === IpAddressType.DUAL_STACK ||
    loadBalancer.ipAddressType === IpAddressType.DUAL_STACK_WITHOUT_PUBLIC_IPV4
  );
}

/** The name as Route 53 will hold it, by CDK's rule: a name not ending in the zone is relative to it. */
function qualify(recordName: string, zoneName: string): string {
  if (recordName.endsWith('.')) return recordName.slice(0, -1);
  const zone = zoneName.replace(/\.$/, '');
  return recordName === zone || recordName.endsWith(`.${zone}`) ? recordName : `${recordName}.${zone}`;
}
