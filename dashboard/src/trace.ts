/** `#/trace/<id>`: a trace's spans as a tree and a timeline, and the selected span's details. */
import type { Answers, Span } from './answers.js';
import { ApiError } from './api.js';
import { h, replaceChildren } from './dom.js';
import { formatCents, formatCount, formatMs, formatTime } from './format.js';
import { type SpanNode, spanTree } from './span-tree.js';
import { HEADING_ID, type View } from './view.js';

export const trace: View = (context) => {
  const { api, main, rest: traceId } = context;
  const body = h('div', {}, h('p', {}, 'Loading…'));
  replaceChildren(
    main,
    h(
      'div',
      { class: 'page-head' },
      h(
        'h1',
        { id: HEADING_ID, tabindex: '-1' },
        'Trace ',
        h('code', { 'data-testid': 'trace-id' }, traceId),
      ),
      h('p', {}, h('a', { href: '#/calls' }, 'Back to the calls')),
    ),
    body,
  );
  const load = async () => {
    try {
      const answer = await api.get<Answers['trace']>(`/v1/traces/${encodeURIComponent(traceId)}`);
      if (!context.current()) return;
      context.answered(answer.project);
      showTrace(body, answer.spans);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
        replaceChildren(
          body,
          h('p', { class: 'empty', 'data-testid': 'no-trace' }, `No such trace: ${error.message}`),
        );
        return;
      }
      context.failed(error);
      replaceChildren(body);
    }
  };
  void load();
  return () => {};
};

function showTrace(body: HTMLElement, spans: readonly Span[]): void {
  const roots = spanTree(spans);
  const details = h('section', {
    class: 'span-details',
    'aria-labelledby': 'span-heading',
    'aria-live': 'polite',
  });
  const items = new Map<string, HTMLElement>();
  const bars = new Map<string, HTMLElement>();

  const select = (span: Span, focus: boolean) => {
    for (const [id, item] of items) {
      item.setAttribute('aria-selected', String(id === span.span_id));
      item.tabIndex = id === span.span_id ? 0 : -1;
    }
    for (const [id, bar] of bars) bar.setAttribute('aria-pressed', String(id === span.span_id));
    if (focus) items.get(span.span_id)?.focus();
    showSpan(details, span);
  };

  const treeItem = (node: SpanNode, level: number): HTMLElement => {
    const { span } = node;
    const labelId = `span-label-${span.span_id}`;
    const group =
      node.children.length > 0
        ? h('ul', { role: 'group' }, ...node.children.map((c) => treeItem(c, level + 1)))
        : null;
    const item = h(
      'li',
      {
        role: 'treeitem',
        'aria-labelledby': labelId,
        'aria-level': level,
        'aria-selected': 'false',
        'aria-expanded': group ? 'true' : undefined,
        tabindex: '-1',
        'data-testid': 'span-item',
        'data-span': span.span_id,
      },
      h(
        'span',
        { class: 'tree-label', id: labelId },
        h('span', { class: 'toggle', 'aria-hidden': 'true' }, group ? '▾' : '·'),
        h('span', { class: 'span-name' }, span.name || '(unnamed)'),
        ' ',
        h('span', { class: 'muted' }, `${span.model} · ${formatMs(span.latency_ms)}`),
        span.status === 'error' ? h('span', { class: 'status status-error' }, ' error') : null,
      ),
      group,
    );
    items.set(span.span_id, item);
    item.addEventListener('click', (event) => {
      event.stopPropagation();
      if (group && (event.target as Element).classList.contains('toggle')) toggle(item, group);
      select(span, true);
    });
    return item;
  };

  const toggle = (item: HTMLElement, group: HTMLElement, open = group.hidden) => {
    group.hidden = !open;
    item.setAttribute('aria-expanded', String(open));
    const glyph = item.querySelector(':scope > .tree-label > .toggle');
    if (glyph) glyph.textContent = open ? '▾' : '▸';
  };

  const tree = h(
    'ul',
    { role: 'tree', 'aria-label': 'Spans', 'data-testid': 'span-tree' },
    ...roots.map((node) => treeItem(node, 1)),
  );
  tree.addEventListener('keydown', (event) => {
    const item = (event.target as Element).closest<HTMLElement>('[role="treeitem"]');
    if (!item) return;
    const visible = [...tree.querySelectorAll<HTMLElement>('[role="treeitem"]')].filter(
      (el) => el.offsetParent !== null,
    );
    const at = visible.indexOf(item);
    const group = item.querySelector<HTMLElement>(':scope > ul[role="group"]');
    const spanOf = (el: HTMLElement | undefined) => spans.find((s) => s.span_id === el?.dataset.span);
    let next: HTMLElement | undefined;
    switch (event.key) {
      case 'ArrowDown':
        next = visible[at + 1];
        break;
      case 'ArrowUp':
        next = visible[at - 1];
        break;
      case 'Home':
        next = visible[0];
        break;
      case 'End':
        next = visible[visible.length - 1];
        break;
      case 'ArrowRight':
        if (group?.hidden) toggle(item, group, true);
        else if (group) next = visible[at + 1];
        break;
      case 'ArrowLeft':
        if (group && !group.hidden) toggle(item, group, false);
        else next = item.parentElement?.closest<HTMLElement>('[role="treeitem"]') ?? undefined;
        break;
      case 'Enter':
      case ' ':
        next = item;
        break;
      default:
        return;
    }
    event.preventDefault();
    const span = spanOf(next);
    if (span) select(span, true);
  });

  const timeline = timelineOf(spans, roots, bars, (span) => select(span, false));
  replaceChildren(
    body,
    h(
      'div',
      { class: 'trace-layout' },
      h(
        'section',
        { 'aria-labelledby': 'tree-heading' },
        h('h2', { id: 'tree-heading' }, `Spans (${spans.length})`),
        tree,
      ),
      details,
    ),
    h(
      'section',
      { 'aria-labelledby': 'timeline-heading' },
      h('h2', { id: 'timeline-heading' }, 'Timeline'),
      timeline,
    ),
  );
  const first = roots[0];
  if (first) select(first.span, false);
}

/** Bars offset by each span's start and as wide as its latency, in tree order. */
function timelineOf(
  spans: readonly Span[],
  roots: readonly SpanNode[],
  bars: Map<string, HTMLElement>,
  onSelect: (span: Span) => void,
): HTMLElement {
  const starts = spans.map((s) => Date.parse(s.timestamp));
  const begin = Math.min(...starts);
  const end = Math.max(...spans.map((s, i) => (starts[i] ?? 0) + s.latency_ms));
  const total = Math.max(end - begin, 1);
  const rows: HTMLElement[] = [];
  const walk = (node: SpanNode, depth: number) => {
    const { span } = node;
    const offset = Date.parse(span.timestamp) - begin;
    const bar = h(
      'button',
      {
        type: 'button',
        class: `bar status-${span.status}`,
        'aria-pressed': 'false',
        'aria-label': `${span.name}, starts at +${formatMs(offset)}, takes ${formatMs(span.latency_ms)}`,
        'data-testid': 'timeline-bar',
      },
      formatMs(span.latency_ms),
    );
    // Geometry through the CSSOM: the page's policy refuses style attributes in markup.
    bar.style.left = `${(offset / total) * 100}%`;
    bar.style.width = `max(${(span.latency_ms / total) * 100}%, 2px)`;
    bar.addEventListener('click', () => onSelect(span));
    bars.set(span.span_id, bar);
    const label = h('span', { class: 'timeline-label' }, span.name || '(unnamed)');
    label.style.paddingLeft = `${depth}em`;
    rows.push(h('li', { class: 'timeline-row' }, label, h('span', { class: 'timeline-track' }, bar)));
    for (const child of node.children) walk(child, depth + 1);
  };
  for (const root of roots) walk(root, 0);
  return h(
    'div',
    { class: 'timeline' },
    h('p', { class: 'muted' }, `${formatTime(new Date(begin).toISOString())} · ${formatMs(total)} in all`),
    h('ol', { class: 'timeline-rows' }, ...rows),
  );
}

function showSpan(details: HTMLElement, span: Span): void {
  const row = (label: string, value: string | HTMLElement, testId?: string) => [
    h('dt', {}, label),
    h('dd', testId ? { 'data-testid': testId } : {}, value),
  ];
  replaceChildren(
    details,
    h(
      'h2',
      { id: 'span-heading' },
      'Span ',
      h('span', { 'data-testid': 'span-name' }, span.name || '(unnamed)'),
    ),
    h(
      'dl',
      { class: 'facts' },
      ...row('Span id', h('code', {}, span.span_id)),
      ...row('Model', span.model, 'span-model'),
      ...row('Status', h('span', { class: `status status-${span.status}` }, span.status), 'span-status'),
      ...(span.error_message ? row('Error', span.error_message, 'span-error') : []),
      ...row('Started', formatTime(span.timestamp)),
      ...row('Latency', formatMs(span.latency_ms)),
      ...row(
        'Tokens',
        `${formatCount(span.total_tokens)} (${formatCount(span.input_tokens)} in, ${formatCount(span.output_tokens)} out)`,
      ),
      ...row('Cost', formatCents(span.cost_cents)),
      ...(span.user_id ? row('User', span.user_id) : []),
      ...(span.session_id ? row('Session', span.session_id) : []),
      ...(span.tags.length > 0 ? row('Tags', span.tags.join(', ')) : []),
    ),
    h('h3', {}, 'Metadata'),
    h('pre', { 'data-testid': 'span-metadata' }, JSON.stringify(span.metadata, null, 2)),
    h('h3', {}, 'Prompt'),
    h('pre', { 'data-testid': 'span-prompt' }, span.prompt),
    h('h3', {}, 'Response'),
    h('pre', { 'data-testid': 'span-response' }, span.response),
  );
}
