import { hourlyLine } from '../cost-line.js';
import { perResource } from './rule.js';

/** `AWS::EC2::EIP`: a public IPv4 address is billed by the hour, attached or not. */
export const publicIpv4Rule = perResource((r, { prices }) => [
  hourlyLine(r, 'public IPv4 address', 1, prices.publicIpv4.hour),
]);
