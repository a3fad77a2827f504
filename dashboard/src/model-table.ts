/** The per-model table of the overview and the cost page: requests, tokens and cost a model. */
import type { ModelUsage } from './answers.js';
import { h } from './dom.js';
import { formatCents, formatCount } from './format.js';

/**
 * A table of `models`, a row each (`data-model`), every figure's raw value in `data-value`; a
 * single row saying `empty` when there are none.
 */
export function modelTable(testId: string, models: readonly ModelUsage[], empty: string): HTMLElement {
  const figure = (value: number, text: string) =>
    h('td', { class: 'num', 'data-value': String(value) }, text);
  return h(
    'table',
    { 'data-testid': testId },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Model'),
        h('th', { scope: 'col', class: 'num' }, 'Requests'),
        h('th', { scope: 'col', class: 'num' }, 'Tokens'),
        h('th', { scope: 'col', class: 'num' }, 'Cost'),
      ),
    ),
    h(
      'tbody',
      {},
      ...(models.length === 0
        ? [h('tr', {}, h('td', { colspan: '4' }, empty))]
        : models.map((m) =>
            h(
              'tr',
              { 'data-model': m.model },
              h('th', { scope: 'row' }, m.model),
              figure(m.requests, formatCount(m.requests)),
              figure(m.total_tokens, formatCount(m.total_tokens)),
              figure(m.cost_cents, formatCents(m.cost_cents)),
            ),
          )),
    ),
  );
}
