import type { Span } from './answers.js';

/** A span and the spans whose parent it is. */
export interface SpanNode {
  readonly span: Span;
  readonly children: SpanNode[];
}

/**
 * The spans as a forest, roots and children in time order: a span whose parent is not in the trace
 * is a root.
 */
export function spanTree(spans: readonly Span[]): SpanNode[] {
  const nodes = new Map(spans.map((span) => [span.span_id, { span, children: [] as SpanNode[] }]));
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parent_span_id ? nodes.get(node.span.parent_span_id) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  // Spans whose parents form a cycle reach no root: the cycle is cut at one of them, which becomes a root.
  const reached = new Set<SpanNode>();
  const mark = (node: SpanNode) => {
    if (reached.has(node)) return;
    reached.add(node);
    for (const child of node.children) mark(child);
  };
  for (const root of roots) mark(root);
  for (const node of nodes.values()) {
    if (reached.has(node)) continue;
    const siblings = nodes.get(node.span.parent_span_id)?.children;
    siblings?.splice(siblings.indexOf(node), 1);
    roots.push(node);
    mark(node);
  }
  const byStart = (a: SpanNode, b: SpanNode) => Date.parse(a.span.timestamp) - Date.parse(b.span.timestamp);
  const sort = (list: SpanNode[]) => {
    list.sort(byStart);
    for (const node of list) sort(node.children);
  };
  sort(roots);
  return roots;
}
