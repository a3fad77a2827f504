/** `#/calls`: the calls of a window, filtered, with the slowest and the failed beside them. */

import type { Answers, Call } from './answers.js';
import { h, labelledSelect, replaceChildren } from './dom.js';
import { formatCents, formatCount, formatMs, formatTime } from './format.js';
import { HEADING_ID, type View } from './view.js';
import { windowParam, windowSelect } from './window-param.js';

const METADATA_FILTERS = 4;
const LIST_LIMIT = 100;
const PANEL_LIMIT = 10;

/** The filters as the hash query carries them, so a filtered view can be shared. */
interface Filters {
  readonly window: string;
  readonly model: string;
  readonly status: '' | 'ok' | 'error';
  readonly order: 'latest' | 'slowest';
  /** `key=value` texts, as typed. */
  readonly metadata: readonly string[];
}

function readFilters(params: URLSearchParams): Filters {
  const status = params.get('status');
  return {
    window: windowParam(params),
    model: params.get('model') ?? '',
    status: status === 'ok' || status === 'error' ? status : '',
    order: params.get('order') === 'slowest' ? 'slowest' : 'latest',
    metadata: params.getAll('metadata').slice(0, METADATA_FILTERS),
  };
}

function hashOf(filters: Filters): string {
  const query = new URLSearchParams();
  query.set('window', filters.window);
  if (filters.model) query.set('model', filters.model);
  if (filters.status) query.set('status', filters.status);
  query.set('order', filters.order);
  for (const m of filters.metadata) if (m) query.append('metadata', m);
  return `#/calls?${query.toString()}`;
}

/** `key=value` as the API's `metadata.<key>` parameter; undefined when it has no `=`. */
function metadataParam(text: string): [string, string] | undefined {
  const at = text.indexOf('=');
  if (at < 1) return undefined;
  return [`metadata.${text.slice(0, at).trim()}`, text.slice(at + 1).trim()];
}

export const calls: View = (context) => {
  const { api, main } = context;
  const filters = readFilters(context.params);

  const window = windowSelect('calls-window', filters.window as never);
  const model = labelledSelect('calls-model', 'Model', [['', 'Any model']], '');
  if (filters.model)
    model.select.append(h('option', { value: filters.model, selected: true }, filters.model));
  const status = labelledSelect(
    'calls-status',
    'Status',
    [
      ['', 'Any'],
      ['ok', 'OK'],
      ['error', 'Error'],
    ],
    filters.status,
  );
  const order = labelledSelect(
    'calls-order',
    'Order',
    [
      ['latest', 'Latest first'],
      ['slowest', 'Slowest first'],
    ],
    filters.order,
  );
  const metadataInputs = Array.from({ length: METADATA_FILTERS }, (_, i) =>
    h('input', {
      id: `calls-metadata-${i + 1}`,
      name: 'metadata',
      type: 'text',
      placeholder: 'key=value',
      pattern: '[A-Za-z0-9_.\\-]+=.+',
      value: filters.metadata[i] ?? '',
    }),
  );
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filters' },
    window.field,
    model.field,
    status.field,
    order.field,
    h(
      'fieldset',
      {},
      h('legend', {}, 'Metadata (key=value)'),
      ...metadataInputs.map((input, i) =>
        h('div', { class: 'field' }, h('label', { for: input.id }, `Filter ${i + 1}`), input),
      ),
    ),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = hashOf({
      window: window.select.value,
      model: model.select.value,
      status: status.select.value as Filters['status'],
      order: order.select.value as Filters['order'],
      metadata: metadataInputs.map((input) => input.value.trim()).filter(Boolean),
    });
  });

  const list = h('div', { class: 'calls-list' }, h('p', {}, 'Loading…'));
  const slowest = h('div', {}, h('p', {}, 'Loading…'));
  const failed = h('div', {}, h('p', {}, 'Loading…'));
  replaceChildren(
    main,
    h('div', { class: 'page-head' }, h('h1', { id: HEADING_ID, tabindex: '-1' }, 'Calls')),
    form,
    h('section', { 'aria-labelledby': 'calls-heading' }, h('h2', { id: 'calls-heading' }, 'Calls'), list),
    h(
      'div',
      { class: 'panels' },
      h(
        'section',
        { 'aria-labelledby': 'slowest-heading' },
        h('h2', { id: 'slowest-heading' }, 'Slowest'),
        slowest,
      ),
      h(
        'section',
        { 'aria-labelledby': 'failed-heading' },
        h('h2', { id: 'failed-heading' }, 'Failed'),
        failed,
      ),
    ),
  );

  const windowOnly = { window: filters.window };
  const params: Record<string, string | number> = { ...windowOnly, order: filters.order, limit: LIST_LIMIT };
  if (filters.model) params.model = filters.model;
  if (filters.status) params.status = filters.status;
  for (const text of filters.metadata) {
    const pair = metadataParam(text);
    if (pair) params[pair[0]] = pair[1];
  }

  const load = async () => {
    try {
      const [models, listed, slow, failures] = await Promise.all([
        api.get<Answers['models']>('/v1/models', windowOnly),
        api.get<Answers['calls']>('/v1/calls', params),
        api.get<Answers['calls']>('/v1/calls/slowest', { ...windowOnly, limit: PANEL_LIMIT }),
        api.get<Answers['calls']>('/v1/calls/failed', { ...windowOnly, limit: PANEL_LIMIT }),
      ]);
      if (!context.current()) return;
      context.answered(models.project);
      for (const m of models.models) {
        if (m.model !== filters.model) model.select.append(h('option', { value: m.model }, m.model));
      }
      replaceChildren(list, callsTable('calls-table', listed.calls, true));
      replaceChildren(slowest, callsTable('slowest-table', slow.calls, false));
      replaceChildren(
        failed,
        callsTable(
          'failed-table',
          failures.calls.map((c) => ({ ...c, status: 'error' as const })),
          false,
        ),
      );
    } catch (error) {
      context.failed(error);
      replaceChildren(list, h('p', {}, 'The calls could not be read.'));
      replaceChildren(slowest);
      replaceChildren(failed);
    }
  };

  void load();
  return () => {};
};

function callsTable(testId: string, rows: readonly Call[], full: boolean): HTMLElement {
  if (rows.length === 0) return h('p', { 'data-testid': testId, class: 'empty' }, 'No calls match.');
  const head = ['Time', 'Name', 'Model', 'Status', 'Latency', ...(full ? ['Tokens', 'Cost'] : []), 'Trace'];
  const table = h(
    'table',
    { 'data-testid': testId },
    h('thead', {}, h('tr', {}, ...head.map((text) => h('th', { scope: 'col' }, text)))),
    h(
      'tbody',
      {},
      ...rows.map((call) =>
        h(
          'tr',
          {
            'data-testid': 'call-row',
            'data-model': call.model,
            'data-status': call.status ?? '',
            'data-trace': call.trace_id,
          },
          h('td', {}, h('time', { datetime: call.timestamp }, formatTime(call.timestamp))),
          h('td', {}, call.name),
          h('td', {}, call.model),
          h(
            'td',
            { title: call.error_message || undefined },
            h('span', { class: `status status-${call.status ?? 'unknown'}` }, call.status ?? '–'),
            call.error_message ? h('span', { class: 'error-text' }, ` ${call.error_message}`) : null,
          ),
          h('td', { class: 'num', 'data-value': String(call.latency_ms) }, formatMs(call.latency_ms)),
          full
            ? h(
                'td',
                { class: 'num' },
                call.total_tokens === undefined ? '–' : formatCount(call.total_tokens),
              )
            : null,
          full
            ? h('td', { class: 'num' }, call.cost_cents === undefined ? '–' : formatCents(call.cost_cents))
            : null,
          h(
            'td',
            {},
            h(
              'a',
              {
                href: `#/trace/${encodeURIComponent(call.trace_id)}`,
                'aria-label': `Trace ${call.trace_id}`,
              },
              call.trace_id.slice(0, 12),
              '…',
            ),
          ),
        ),
      ),
    ),
  );
  return h('div', { class: 'table-scroll' }, table);
}
