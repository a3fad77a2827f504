import { costLine, hourlyLine } from '../cost-line.js';
import { perResource } from './rule.js';

/** `AWS::EC2::NatGateway`: hours, and the bytes it processes (an assumption: see `COST_ASSUMPTIONS`). */
export const natGatewayRule = perResource((r, { prices, assumptions }) => [
  hourlyLine(r, 'NAT gateway hours', 1, prices.natGateway.hour),
  costLine(
    r,
    'NAT gateway processing',
    assumptions.natProcessedGbPerMonth,
    prices.natGateway.processedGb,
    'assumed: the validator runs outside the VPC and the loader receives its records in its event',
  ),
]);
