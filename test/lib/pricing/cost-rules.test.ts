import { describe, expect, it } from 'vitest';
import { COST_RULES, ruleFor } from '../../../lib/pricing/cost-rules.js';
import { BILLABLE_TYPES } from '../../../lib/pricing/inventory.js';
import { albRule } from '../../../lib/pricing/rules/alb.js';
import { noLines } from '../../../lib/pricing/rules/rule.js';

describe('the cost rules', () => {
  it('have a rule for every type the inventory lists as billable', () => {
    expect(Object.keys(BILLABLE_TYPES).filter((type) => ruleFor(type) === undefined)).toEqual([]);
  });

  it.each([
    ['AWS::ElasticLoadBalancingV2::LoadBalancer', albRule],
    ['Custom::ClickHouseMigrations', noLines],
    ['AWS::CloudFormation::CustomResource', noLines],
  ])('find the rule of %s', (type, rule) => {
    expect(ruleFor(type)).toBe(rule);
  });

  it.each(['AWS::RDS::DBInstance', 'toString', 'constructor'])('fail to find a rule for %s', (type) => {
    expect(ruleFor(type)).toBeUndefined();
  });

  it('are keyed by CloudFormation resource type', () => {
    for (const type of Object.keys(COST_RULES)) expect(type).toMatch(/^AWS::\w+::\w+$/);
  });
});
