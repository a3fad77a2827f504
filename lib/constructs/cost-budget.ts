import { CfnBudget } from 'aws-cdk-lib/aws-budgets';
import { Construct } from 'constructs';

export interface CostBudgetProps {
  /** The monthly estimate the budget is set at, in USD. */
  readonly monthlyLimitUsd: number;
  /** Who is told: an e-mail address. */
  readonly notifyEmail: string;
  /**
   * Cost-allocation tag the budget counts (it must be activated in the billing console), as
   * `key` and `value`: only this deployment's resources count against it.
   */
  readonly tag: { readonly key: string; readonly value: string };
  /** @default 80 */
  readonly actualAlertPercent?: number;
  /** @default 100 */
  readonly forecastAlertPercent?: number;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * An AWS Budgets cost budget at the deployment's own estimate: an e-mail when actual spend passes
 * 80% of it, and when the month's forecast passes 100%. Budgets without actions cost nothing.
 */
export class CostBudget extends Construct {
  readonly budget: CfnBudget;

  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    if (!Number.isFinite(props.monthlyLimitUsd) || props.monthlyLimitUsd <= 0) {
      throw new Error(`monthlyLimitUsd must be a positive amount, got ${props.monthlyLimitUsd}`);
    }
    if (!EMAIL.test(props.notifyEmail)) {
      throw new Error(`notifyEmail must be an e-mail address, got ${JSON.stringify(props.notifyEmail)}`);
    }
    const alert = (notificationType: 'ACTUAL' | 'FORECASTED', threshold: number) => {
      if (!(threshold > 0 && threshold <= 1_000)) {
        throw new Error(`alert thresholds are percentages from 1 to 1,000, got ${threshold}`);
      }
      return {
        notification: {
          notificationType,
          comparisonOperator: 'GREATER_THAN',
          threshold,
          thresholdType: 'PERCENTAGE',
        },
        subscribers: [{ subscriptionType: 'EMAIL', address: props.notifyEmail }],
      };
    };
    this.budget = new CfnBudget(this, 'Budget', {
      budget: {
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: Math.ceil(props.monthlyLimitUsd), unit: 'USD' },
        costFilters: { TagKeyValue: [`user:${props.tag.key}$${props.tag.value}`] },
      },
      notificationsWithSubscribers: [
        alert('ACTUAL', props.actualAlertPercent ?? 80),
        alert('FORECASTED', props.forecastAlertPercent ?? 100),
      ],
    });
  }
}
