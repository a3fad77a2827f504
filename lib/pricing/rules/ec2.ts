import { clickHouseFigures, loaderInsertWireBytesPerEvent } from '../../capacity.js';
import { type BillableResource, sizeNumber, sizeString } from '../billable-resource.js';
import { type CostLine, costLine, hourlyLine } from '../cost-line.js';
import { CostModelError } from '../cost-model-error.js';
import { num } from '../format.js';
import { BYTES_PER_GB, SECONDS_PER_MONTH } from '../prices.js';
import { ebsLines } from './ebs.js';
import { perResource, type RuleContext } from './rule.js';

/**
 * `AWS::EC2::Instance`: on-demand hours by `instanceType`, and its gp3 block device as a volume
 * (`lib/pricing/rules/ebs.ts`, same size keys). A ClickHouse data node (size keys
 * `clickHouseShard`, `clickHouseReplica`, `availabilityZones`) also pays for what crosses an
 * availability zone to reach it: see `interAzLines`.
 */
export const ec2InstanceRule = perResource((r, context) => {
  const type = sizeString(r, 'instanceType') ?? '';
  const price = context.prices.ec2[type];
  if (price === undefined) {
    throw new CostModelError(
      `${r.logicalId}: no price for EC2 instance type ${type} in ${context.prices.region}`,
    );
  }
  return [hourlyLine(r, `EC2 ${type}`, 1, price), ...ebsLines(r, context), ...interAzLines(r, context)];
});

/**
 * Inter-AZ transfer to one data node, billed $0.01 per GB on each side ($0.02 per GB crossed):
 * - **loader inserts**: the loader runs in every zone's subnets and inserts each project's rows
 *   into a node of the shard that owns it, so `(zones − 1) ÷ zones` of the insert bodies (gzip
 *   NDJSON at the loader's gzip level, `loaderInsertWireBytesPerEvent()` an event) cross; a shard's inserts go to its replicas alike.
 * - **replica fetches**: with replicas, every part inserted on one replica is fetched by the others,
 *   each in another zone (the construct places a shard's replicas in different zones): the node
 *   fetches the stored bytes of `(replicas − 1) ÷ replicas` of its shard's rows.
 * Distributed queries and Keeper traffic are small beside them and not counted.
 */
function interAzLines(r: BillableResource, { tier, capacity, prices }: RuleContext): CostLine[] {
  if (r.size.clickHouseShard === undefined) return [];
  const zones = sizeNumber(r, 'availabilityZones', 1);
  const { replicas } = tier.clickhouse;
  const ch = clickHouseFigures(tier, capacity);
  const wireBytes = loaderInsertWireBytesPerEvent(capacity.assumptions);
  const eventsPerSecPerNode = ch.eventsPerSecPerShard / replicas;
  const perSecToGbMonth = (bytesPerSec: number) => (bytesPerSec * SECONDS_PER_MONTH) / BYTES_PER_GB;
  // Billed on both sides of the crossing.
  const crossed = 2;
  const lines: CostLine[] = [];
  const insertShare = (zones - 1) / zones;
  if (insertShare > 0 && eventsPerSecPerNode > 0) {
    const gb = perSecToGbMonth(eventsPerSecPerNode * wireBytes * insertShare);
    lines.push(
      costLine(
        r,
        'Inter-AZ: loader inserts',
        gb * crossed,
        prices.dataTransfer.interAzGb,
        `${num(eventsPerSecPerNode)} events/s × ${num(wireBytes)} gzip bytes × ${num(zones - 1)}/${num(zones)} from other zones × 2 sides`,
      ),
    );
  }
  if (replicas > 1 && ch.eventsPerSecPerShard > 0) {
    const fetched = ch.eventsPerSecPerShard * ((replicas - 1) / replicas) * ch.bytesPerEvent;
    lines.push(
      costLine(
        r,
        'Inter-AZ: replica fetches',
        perSecToGbMonth(fetched) * crossed,
        prices.dataTransfer.interAzGb,
        `${num(ch.eventsPerSecPerShard)} events/s on the shard × ${num(replicas - 1)}/${num(replicas)} inserted on another replica × ${num(ch.bytesPerEvent)} stored bytes × 2 sides`,
      ),
    );
  }
  return lines;
}
