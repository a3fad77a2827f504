import { sizeString } from '../billable-resource.js';
import { hourlyLine } from '../cost-line.js';
import { CostModelError } from '../cost-model-error.js';
import { ebsLines } from './ebs.js';
import { perResource } from './rule.js';

/**
 * `AWS::EC2::Instance`: on-demand hours by `instanceType`, and its gp3 block device as a volume
 * (`lib/pricing/rules/ebs.ts`, same size keys).
 */
export const ec2InstanceRule = perResource((r, context) => {
  const type = sizeString(r, 'instanceType') ?? '';
  const price = context.prices.ec2[type];
  if (price === undefined) {
    throw new CostModelError(
      `${r.logicalId}: no price for EC2 instance type ${type} in ${context.prices.region}`,
    );
  }
  return [hourlyLine(r, `EC2 ${type}`, 1, price), ...ebsLines(r, context)];
});
