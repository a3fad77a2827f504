/**
 * EBS gp3 volumes: `AWS::EC2::Volume`, and an instance's block device (`lib/pricing/rules/ec2.ts`).
 * Size keys: `volumeGiB` (none: no volume), `volumeType` (gp3 only), `volumeIops`,
 * `volumeThroughputMiBps` (default: gp3's included 3,000 and 125).
 */
import { type BillableResource, sizeNumber, sizeString } from '../billable-resource.js';
import { type CostLine, costLine } from '../cost-line.js';
import { CostModelError } from '../cost-model-error.js';
import { num } from '../format.js';
import { BILLING_UNITS } from '../prices.js';
import { perResource, type RuleContext } from './rule.js';

/** A gp3 volume's GiB-month, and its IOPS and throughput above what the GiB price includes. */
export function ebsLines(r: BillableResource, { prices }: Pick<RuleContext, 'prices'>): CostLine[] {
  if (r.size.volumeGiB === undefined) return [];
  const volumeType = sizeString(r, 'volumeType') ?? 'gp3';
  if (volumeType !== 'gp3') {
    throw new CostModelError(
      `${r.type} ${r.logicalId}: no price for EBS ${volumeType} in ${prices.region} (gp3 only)`,
    );
  }
  const { gp3IncludedIops, gp3IncludedThroughputMbps } = BILLING_UNITS;
  const gib = sizeNumber(r, 'volumeGiB');
  const iops = sizeNumber(r, 'volumeIops', gp3IncludedIops);
  const mbps = sizeNumber(r, 'volumeThroughputMiBps', gp3IncludedThroughputMbps);
  const p = prices.ebsGp3;
  const lines = [costLine(r, 'EBS gp3 storage', gib, p.storageGbMonth, `${num(gib)} GiB provisioned`)];
  const extraIops = Math.max(0, iops - gp3IncludedIops);
  if (extraIops > 0) {
    lines.push(
      costLine(r, 'EBS gp3 IOPS', extraIops, p.iopsMonth, `${num(iops)} − ${num(gp3IncludedIops)} included`),
    );
  }
  const extraMbps = Math.max(0, mbps - gp3IncludedThroughputMbps);
  if (extraMbps > 0) {
    lines.push(
      costLine(
        r,
        'EBS gp3 throughput',
        extraMbps,
        p.throughputMbpsMonth,
        `${num(mbps)} MiB/s − ${num(gp3IncludedThroughputMbps)} included`,
      ),
    );
  }
  return lines;
}

/** `AWS::EC2::Volume`. */
export const ebsVolumeRule = perResource(ebsLines);
