import { describe, expect, it } from 'vitest';
import { budgetRule } from '../../../../lib/pricing/rules/budget.js';
import { MONTH_DAYS, priceWith, res } from './rule-fixtures.js';

const budgets = (count: number) =>
  Array.from({ length: count }, (_, i) => res('AWS::Budgets::Budget', `Budget${i + 1}`, { actions: 1 }));

describe('budgetRule', () => {
  it.each([
    [1, []],
    [2, []],
    [3, [3]],
    [4, [3, 4]],
  ])('of %d action-enabled budgets, bills the days of those beyond the first two: %j', (count, billed) => {
    const lines = priceWith(budgetRule, budgets(count)).flat();
    expect(lines.map((l) => l.formula)).toEqual(
      billed.map((n) => `30.42 days (budget ${n}; the first 2 are free)`),
    );
    for (const line of lines) expect(line.monthlyUsd).toBeCloseTo(MONTH_DAYS * 0.1, 10);
  });
});
