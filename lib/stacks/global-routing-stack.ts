import { Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LatencyRouting } from '../constructs/latency-routing.js';
import { COST_TAGS } from '../pricing/cost-tags.js';
import type { TierSpec } from '../tiers.js';

export interface GlobalRoutingStackProps extends StackProps {
  /** The tier's slice of the sizing table: its `regions`. */
  readonly tier: TierSpec;
  /** The DNS zone of the endpoints, e.g. `example.com`. */
  readonly domainName: string;
  /** The Route 53 hosted zone of `domainName`. */
  readonly hostedZoneId: string;
}

/**
 * What a multi-region tier shares across its regions: the global endpoint `ingest.<domain>`,
 * routed by latency to the healthy regions (lib/constructs/latency-routing.ts says why Route 53
 * rather than Global Accelerator). Route 53 is global; the stack lives in the primary region.
 */
export class GlobalRoutingStack extends Stack {
  readonly routing: LatencyRouting;

  constructor(scope: Construct, id: string, props: GlobalRoutingStackProps) {
    super(scope, id, props);
    Tags.of(this).add(COST_TAGS.tier, String(props.tier.id));
    Tags.of(this).add(COST_TAGS.component, 'ingest');
    this.routing = new LatencyRouting(this, 'Routing', {
      hostedZoneId: props.hostedZoneId,
      domainName: props.domainName,
      regions: props.tier.regions,
    });
  }
}
