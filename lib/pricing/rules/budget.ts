import { costLine } from '../cost-line.js';
import { num } from '../format.js';
import { BILLING_UNITS, DAYS_PER_MONTH } from '../prices.js';
import type { CostRule } from './rule.js';

/**
 * `AWS::Budgets::Budget`: budgets without actions are free (the inventory marks them so); of the
 * action-enabled ones (size key `actions`), the first two a month are free and the rest are billed
 * by the day.
 */
export const budgetRule: CostRule = (slice, { prices }) =>
  slice.map((r, i) => {
    const ordinal = i + 1;
    const free = BILLING_UNITS.freeActionEnabledBudgets;
    if (ordinal <= free) return [];
    return [
      costLine(
        r,
        'AWS Budgets action-enabled budget',
        DAYS_PER_MONTH,
        prices.budgets.actionBudgetDay,
        `${num(DAYS_PER_MONTH)} days (budget ${ordinal}; the first ${free} are free)`,
      ),
    ];
  });
