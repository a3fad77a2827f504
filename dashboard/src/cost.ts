/** `#/cost`: the month so far, and the last 30 days' cost by day and model. */
import type { Answers } from './answers.js';
import { Chart } from './charts.js';
import { h, replaceChildren } from './dom.js';
import { formatCents, formatCount } from './format.js';
import { modelTable } from './model-table.js';
import { pivot } from './series.js';
import { tile } from './tiles.js';
import { HEADING_ID, type View } from './view.js';

const DAYS = 30;
const DAY_SEC = 86_400;
const HALF_DAY_SEC = DAY_SEC / 2;

export const cost: View = (context) => {
  const { api, main } = context;
  const chart = new Chart({
    title: `Cost by day and model, last ${DAYS} days`,
    format: formatCents,
    stacked: true,
  });
  const tiles = h('section', { class: 'tiles', 'aria-label': 'Month so far' });
  const table = h('div', {}, h('p', {}, 'Loading…'));
  replaceChildren(
    main,
    h('div', { class: 'page-head' }, h('h1', { id: HEADING_ID, tabindex: '-1' }, 'Cost')),
    tiles,
    h('section', { class: 'charts wide', 'aria-label': 'Chart' }, chart.element),
    h(
      'section',
      { 'aria-labelledby': 'cost-models-heading' },
      h('h2', { id: 'cost-models-heading' }, 'This month by model'),
      table,
    ),
  );
  const load = async () => {
    try {
      const answer = await api.get<Answers['costs']>('/v1/costs', { days: DAYS });
      if (!context.current()) return;
      context.answered(answer.project);
      const { month } = answer;
      replaceChildren(
        tiles,
        tile(
          'cost-month',
          `Month so far (from ${month.from.slice(0, 10)})`,
          month.cost_cents,
          formatCents(month.cost_cents),
        ),
        tile('cost-month-requests', 'Requests this month', month.requests, formatCount(month.requests)),
        tile('cost-month-tokens', 'Tokens this month', month.total_tokens, formatCount(month.total_tokens)),
      );
      chart.update(
        pivot(
          answer.days,
          (d) => Date.parse(`${d.day}T00:00:00Z`) / 1_000,
          (d) => d.model,
          (d) => d.cost_cents,
        ),
        // From the first day to the day of `to`, half a day either side so their bars show whole.
        [
          Date.parse(answer.from) / 1_000 - HALF_DAY_SEC,
          Math.floor(Date.parse(answer.to) / 1_000 / DAY_SEC) * DAY_SEC + HALF_DAY_SEC,
        ],
      );
      replaceChildren(table, modelTable('cost-models', month.models, 'No calls this month.'));
    } catch (error) {
      context.failed(error);
      replaceChildren(table, h('p', {}, 'The cost report could not be read.'));
    }
  };
  void load();
  return () => chart.destroy();
};
