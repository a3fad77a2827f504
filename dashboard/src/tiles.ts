/** Figures a test can read exactly: the raw value in `data-value`, the formatted text shown. */
import { h } from './dom.js';

export function tile(
  testId: string,
  label: string,
  value: number | null,
  text: string,
  note?: HTMLElement,
): HTMLElement {
  return h(
    'div',
    { class: 'tile' },
    h('span', { class: 'tile-label', id: `${testId}-label` }, label),
    h(
      'output',
      {
        'data-testid': testId,
        'data-value': value === null ? '' : String(value),
        'aria-labelledby': `${testId}-label`,
      },
      text,
    ),
    note,
  );
}
