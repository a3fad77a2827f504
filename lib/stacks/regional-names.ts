/**
 * The physical names a multi-region tier gives what other regions reach, so each region can
 * compute the others' ARNs at synth without a cross-region reference (which would need custom
 * resources, and would tie the regional stacks into a cycle: each forwards to all the others).
 */

/** The stack of a tier's region: the primary keeps `EvalForge`, so a tier 3 → 4 move updates it in place. */
export function regionalStackName(region: string, primaryRegion: string): string {
  return region === primaryRegion ? 'EvalForge' : `EvalForge-${region}`;
}

/** The stack of a multi-region tier's global routing. */
export const GLOBAL_STACK_NAME = 'EvalForge-Global';

/** A region's event stream, which the other regions' forwarders write to. */
export function eventStreamName(region: string): string {
  return `evalforge-events-${region}`;
}

/** A region's transit stream: events it accepted for projects homed elsewhere. */
export function transitStreamName(region: string): string {
  return `evalforge-transit-${region}`;
}

/** The API key global table, the same name in every region (its replicas). */
export const GLOBAL_KEY_TABLE_NAME = 'evalforge-api-keys';

/** A region's event stream ARN. */
export function eventStreamArn(region: string, account: string): string {
  return `arn:aws:kinesis:${region}:${account}:stream/${eventStreamName(region)}`;
}

/** A region's regional endpoint, which its weighted records name. */
export function regionalEndpoint(region: string, domainName: string): string {
  return `https://ingest.${region}.${domainName.replace(/\.$/, '')}`;
}

/** The name clients of a multi-region tier send to, latency-routed to the nearest healthy region. */
export function globalEndpointName(domainName: string): string {
  return `ingest.${domainName.replace(/\.$/, '')}`;
}
