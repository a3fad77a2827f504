/** `#/overview`: the window's totals and per-model charts, refreshed every 5 s while visible. */
import type { Answers, SeriesRow } from './answers.js';
import { Chart } from './charts.js';
import { h, replaceChildren } from './dom.js';
import { formatCents, formatCount, formatMs, formatPercent } from './format.js';
import { modelTable } from './model-table.js';
import { bucketsBetween, pivot } from './series.js';
import { tile } from './tiles.js';
import { HEADING_ID, type View } from './view.js';
import { windowParam, windowSelect } from './window-param.js';

const REFRESH_MS = 5_000;

const bucketTime = (row: SeriesRow): number => Date.parse(row.time) / 1_000;

export const overview: View = (context) => {
  const { api, main, params } = context;
  const window = windowParam(params);
  const picker = windowSelect('overview-window', window);
  picker.select.addEventListener('change', () => {
    location.hash = `#/overview?window=${picker.select.value}`;
  });
  const updated = h('time', { 'data-testid': 'last-updated' }, 'not yet');
  const tiles = h('section', { class: 'tiles', 'aria-label': 'Totals' });
  const charts = {
    requests: new Chart({ title: 'Requests by model', format: formatCount }),
    latency: new Chart({ title: 'Latency p95 by model', format: formatMs }),
    tokens: new Chart({ title: 'Tokens by model', format: formatCount }),
    cost: new Chart({ title: 'Cost by model', format: formatCents }),
  };
  const models = h('div', {}, modelTable('models-table', [], 'Loading…'));
  replaceChildren(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { id: HEADING_ID, tabindex: '-1' }, 'Overview'),
      h('form', { class: 'filters', onsubmit: (e: Event) => e.preventDefault() }, picker.field),
      h('p', { class: 'updated' }, 'Last updated ', updated),
    ),
    tiles,
    h('section', { class: 'charts', 'aria-label': 'Charts' }, ...Object.values(charts).map((c) => c.element)),
    h(
      'section',
      { 'aria-labelledby': 'models-heading' },
      h('h2', { id: 'models-heading' }, 'By model'),
      models,
    ),
  );

  let inFlight = false;
  const refresh = async () => {
    if (inFlight || document.hidden) return;
    inFlight = true;
    try {
      const [summary, metrics, usage] = await Promise.all([
        api.get<Answers['summary']>('/v1/summary', { window }),
        api.get<Answers['metrics']>('/v1/metrics', { window }),
        api.get<Answers['models']>('/v1/models', { window }),
      ]);
      if (!context.current()) return;
      context.answered(summary.project);
      const s = summary.summary;
      replaceChildren(
        tiles,
        tile('summary-requests', 'Requests', s.requests, formatCount(s.requests)),
        tile(
          'summary-errors',
          'Errors',
          s.errors,
          formatCount(s.errors),
          h(
            'span',
            { class: 'tile-note' },
            'error rate ',
            h(
              'output',
              { 'data-testid': 'summary-error-rate', 'data-value': String(s.error_rate ?? '') },
              formatPercent(s.error_rate),
            ),
          ),
        ),
        tile('summary-latency-p95', 'Latency p95', s.latency_ms_p95, formatMs(s.latency_ms_p95)),
        tile('summary-tokens', 'Total tokens', s.total_tokens, formatCount(s.total_tokens)),
        tile('summary-cost', 'Cost', s.cost_cents, formatCents(s.cost_cents)),
      );
      const rows = metrics.series;
      // From the window's first bucket to its last, which starts a step before the window's end.
      const stepSec = metrics.step === 'hour' ? 3_600 : 60;
      const from = Date.parse(metrics.from) / 1_000;
      const to = Date.parse(metrics.to) / 1_000;
      const buckets = bucketsBetween(from, to, stepSec);
      const by = (value: (row: SeriesRow) => number | undefined) =>
        pivot(rows, bucketTime, (r) => r.model, value, buckets);
      const span = [from, to - stepSec] as const;
      const figures: readonly [Chart, (row: SeriesRow) => number | undefined][] = [
        [charts.requests, (r) => r.requests],
        [charts.latency, (r) => r.latency_ms_p95],
        [charts.tokens, (r) => r.total_tokens],
        [charts.cost, (r) => r.cost_cents],
      ];
      for (const [chart, value] of figures) chart.update(by(value), span);
      replaceChildren(models, modelTable('models-table', usage.models, 'No calls in this window.'));
      const now = new Date();
      updated.dateTime = now.toISOString();
      updated.textContent = now.toLocaleTimeString('en-GB', { hour12: false });
    } catch (error) {
      context.failed(error);
    } finally {
      inFlight = false;
    }
  };

  void refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  const onVisible = () => {
    if (!document.hidden) void refresh();
  };
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisible);
    for (const chart of Object.values(charts)) chart.destroy();
  };
};
