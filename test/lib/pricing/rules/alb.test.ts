import { describe, expect, it } from 'vitest';
import { albRule } from '../../../../lib/pricing/rules/alb.js';
import { issueLoad, priceWith, res, summary } from './rule-fixtures.js';

const ALB = 'AWS::ElasticLoadBalancingV2::LoadBalancer';
const LCU = 'ALB LCU-hours (Lambda target)';

const lcuHours = (lines: ReturnType<typeof priceWith>) =>
  lines.map((own) => own.find((l) => l.item === LCU)?.quantity);

describe('albRule', () => {
  it('bills 730 hours at $0.0225 and the LCU-hours of the busiest dimension', () => {
    // 50,000 ÷ 500 = 100 requests/s of 500 × 5,300 B ÷ 5 = 530,000 B: 190.8 GB/h ÷ 0.4 = 477 LCU
    // (new connections: 1/s ÷ 25 = 0.04; active: 60/min ÷ 3,000 = 0.02); × 730 h × $0.008.
    const [lines] = priceWith(albRule, [res(ALB, 'Alb1', { weight: 100 })]);
    expect(summary(lines ?? [])).toEqual([
      ['ALB hours', 730, expect.closeTo(16.425, 9)],
      [LCU, expect.closeTo(348_210, 6), expect.closeTo(2_785.68, 6)],
    ]);
  });

  it.each([
    ['two at 50:50 carry half each', [50, 50], [238.5, 238.5]],
    ['75:25 carry three quarters and one', [75, 25], [357.75, 119.25]],
    ['without weights, equal shares', [undefined, undefined], [238.5, 238.5]],
  ])('shares the requests by Route 53 weight: %s', (_name, weights, lcus) => {
    const slice = weights.map((weight, i) => res(ALB, `Alb${i + 1}`, weight === undefined ? {} : { weight }));
    expect(lcuHours(priceWith(albRule, slice))).toEqual(lcus.map((lcu) => expect.closeTo(lcu * 730, 6)));
  });

  it('bills new connections when they are the busiest dimension: tiny requests', () => {
    // 50,000 requests/s of 1 B: processed 0.18 GB/h ÷ 0.4 = 0.45; new 500/s ÷ 25 = 20; active 10.
    const load = { eventsPerSec: 50_000, eventBytes: 1, gzipRatio: 1, eventsPerRequest: 1 };
    expect(lcuHours(priceWith(albRule, [res(ALB, 'Alb1')], { load }))).toEqual([expect.closeTo(20 * 730, 6)]);
  });

  it('bills no LCU at no load', () => {
    const load = { ...issueLoad, eventsPerSec: 0 };
    expect(lcuHours(priceWith(albRule, [res(ALB, 'Alb1')], { load }))).toEqual([0]);
  });
});
