import { sizeNumber, sizeString } from '../billable-resource.js';
import { costLine, hourlyLine } from '../cost-line.js';
import { perResource } from './rule.js';

/**
 * `AWS::EC2::VPCEndpoint`: an interface endpoint's hours in each of its `azs`, and the bytes it
 * processes (an assumption); a gateway endpoint (`endpointType: 'Gateway'`) is free.
 */
export const vpcEndpointRule = perResource((r, { prices, assumptions }) => {
  if (sizeString(r, 'endpointType') === 'Gateway') return [];
  const azs = sizeNumber(r, 'azs');
  return [
    hourlyLine(r, 'interface endpoint AZ-hours', azs, prices.interfaceEndpoint.azHour),
    costLine(
      r,
      'interface endpoint processing',
      assumptions.interfaceEndpointProcessedGbPerMonth,
      prices.interfaceEndpoint.processedGb,
      'assumed: AWS calls from the VPC are few (secrets read once per execution environment)',
    ),
  ];
});
