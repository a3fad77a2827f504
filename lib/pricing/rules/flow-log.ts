import { sizeString } from '../billable-resource.js';
import { costLine } from '../cost-line.js';
import { CostModelError } from '../cost-model-error.js';
import { num } from '../format.js';
import { logStorageLine } from './log-group.js';
import { perResource } from './rule.js';

/**
 * `AWS::EC2::FlowLog`: REJECT traffic (`trafficType`) into CloudWatch Logs (`destinationType`)
 * only, at an assumed volume (`flowLogRejectGbPerMonth`), vended then stored for the destination
 * log group's `retentionDays` (none: kept forever).
 */
export const flowLogRule = perResource((r, context) => {
  const destination = sizeString(r, 'destinationType') ?? 'cloud-watch-logs';
  const traffic = sizeString(r, 'trafficType') ?? 'ALL';
  if (destination !== 'cloud-watch-logs' || traffic !== 'REJECT') {
    throw new CostModelError(
      `${r.type} ${r.logicalId}: only REJECT traffic into CloudWatch Logs is modelled, got ${traffic} into ${destination}`,
    );
  }
  const gbPerMonth = context.assumptions.flowLogRejectGbPerMonth;
  return [
    costLine(
      r,
      'VPC flow logs (vended to CloudWatch Logs)',
      gbPerMonth,
      context.prices.cloudWatch.logsIngestionGb,
      `assumed ${num(gbPerMonth)} GB/month of REJECT records, at the first 10 TB band of vended-log delivery`,
    ),
    logStorageLine(r, 'VPC flow log storage', gbPerMonth, context),
  ];
});
