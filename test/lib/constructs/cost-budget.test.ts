import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CostBudget, type CostBudgetProps } from '../../../lib/constructs/cost-budget.js';

const PROPS: CostBudgetProps = {
  monthlyLimitUsd: 1_234.2,
  notifyEmail: 'finops@acme.test',
  tag: { key: 'evalforge:tier', value: '3' },
};

const build = (props: Partial<CostBudgetProps> = {}) => {
  const stack = new Stack(new App(), 'Budget');
  new CostBudget(stack, 'CostBudget', { ...PROPS, ...props });
  return Template.fromStack(stack);
};

describe('CostBudget', () => {
  it('budgets the month at the estimate rounded up, for resources with the tier tag only', () => {
    build().hasResourceProperties('AWS::Budgets::Budget', {
      Budget: {
        BudgetType: 'COST',
        TimeUnit: 'MONTHLY',
        BudgetLimit: { Amount: 1_235, Unit: 'USD' },
        CostFilters: { TagKeyValue: ['user:evalforge:tier$3'] },
      },
    });
  });

  it('takes other alert thresholds', () => {
    const budget = Object.values(
      build({ actualAlertPercent: 50, forecastAlertPercent: 120 }).findResources('AWS::Budgets::Budget'),
    )[0];
    const thresholds = (
      (budget?.Properties.NotificationsWithSubscribers ?? []) as { Notification: { Threshold: number } }[]
    ).map((n) => n.Notification.Threshold);
    expect(thresholds).toEqual([50, 120]);
  });

  it.each([
    [{ monthlyLimitUsd: 0 }, /monthlyLimitUsd must be a positive amount/],
    [{ monthlyLimitUsd: Number.NaN }, /monthlyLimitUsd/],
    [{ notifyEmail: 'finops' }, /notifyEmail must be an e-mail address, got "finops"/],
    [{ actualAlertPercent: 0 }, /alert thresholds are percentages/],
    [{ forecastAlertPercent: 5_000 }, /alert thresholds are percentages/],
  ])('rejects %o', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
