import { requestFigures } from '../../capacity.js';
import { type BillableResource, sizeNumber } from '../billable-resource.js';
import { type CostLine, costLine, hourlyLine } from '../cost-line.js';
import { num } from '../format.js';
import { ALB_LCU, BYTES_PER_GB, HOURS_PER_MONTH } from '../prices.js';
import type { CostRule, RuleContext } from './rule.js';

/**
 * `AWS::ElasticLoadBalancingV2::LoadBalancer` (application, Lambda target): hours, and LCU-hours at
 * the busiest of the four LCU dimensions. Size key: `weight`, its Route 53 weight (default: equal),
 * which gives its share of the requests.
 */
export const albRule: CostRule = (slice, context) => {
  const totalWeight = slice.reduce((sum, r) => sum + sizeNumber(r, 'weight', 1), 0);
  return slice.map((r) => albLines(r, sizeNumber(r, 'weight', 1) / totalWeight, context));
};

function albLines(
  r: BillableResource,
  share: number,
  { load, prices, assumptions: a, capacity }: RuleContext,
): CostLine[] {
  const hours = hourlyLine(r, 'ALB hours', 1, prices.alb.hour);
  const request = requestFigures(capacity.assumptions);
  const rps = (load.eventsPerSec / load.eventsPerRequest) * share;
  const processedGbPerHour = (rps * request.bodyBytes * 3_600) / BYTES_PER_GB;
  const newConnPerSec = rps / a.albRequestsPerConnection;
  const activePerMin = newConnPerSec * a.albConnectionLifetimeSec;
  const ruleEvalPerSec = rps * Math.max(0, a.albRulesPerRequest - ALB_LCU.freeRulesPerRequest);
  const dims = {
    processed: processedGbPerHour / ALB_LCU.processedGbPerHourLambdaTargets,
    newConnections: newConnPerSec / ALB_LCU.newConnectionsPerSec,
    activeConnections: activePerMin / ALB_LCU.activeConnectionsPerMin,
    ruleEvaluations: ruleEvalPerSec / ALB_LCU.ruleEvaluationsPerSec,
  };
  const lcu = Math.max(...Object.values(dims));
  return [
    hours,
    costLine(
      r,
      'ALB LCU-hours (Lambda target)',
      lcu * HOURS_PER_MONTH,
      prices.alb.lcuHour,
      `max(processed ${num(rps, 4)} req/s × ${num(request.bodyBytes, 0)} B × 3,600 = ${num(processedGbPerHour, 3)} GB/h ÷ ${num(ALB_LCU.processedGbPerHourLambdaTargets)} = ${num(dims.processed, 3)}; new conn ${num(dims.newConnections, 3)}; active ${num(dims.activeConnections, 3)}; rules ${num(dims.ruleEvaluations, 3)}) LCU × ${HOURS_PER_MONTH} h (keep-alive: ${a.albRequestsPerConnection} requests per connection, ${a.albConnectionLifetimeSec} s each)`,
    ),
  ];
}
