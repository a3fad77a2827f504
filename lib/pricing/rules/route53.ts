/** Route 53: a hosted zone and a health check are monthly fees; record sets get no line. */
import { monthlyFee, noLines } from './rule.js';

/** `AWS::Route53::HostedZone`. */
export const hostedZoneRule = monthlyFee(
  'Route 53 hosted zone',
  (p) => p.route53.hostedZoneMonth,
  '1 zone (alias queries to the ALBs are free)',
);

/** `AWS::Route53::HealthCheck`. */
export const healthCheckRule = monthlyFee(
  'Route 53 health check',
  (p) => p.route53.healthCheckMonth,
  '1 health check of an AWS endpoint',
);

/**
 * `AWS::Route53::RecordSet`: the public record is an alias to a load balancer (free queries, and
 * marked free by the inventory); queries to the private zone's node records, made as the functions
 * and nodes connect, are not priced.
 */
export const recordSetRule = noLines;
