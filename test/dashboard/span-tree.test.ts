import { describe, expect, it } from 'vitest';
import type { Span } from '../../dashboard/src/answers.js';
import { type SpanNode, spanTree } from '../../dashboard/src/span-tree.js';

const span = (span_id: string, parent_span_id: string, second: number): Span => ({
  trace_id: 't',
  span_id,
  parent_span_id,
  timestamp: `2026-01-31T12:00:${String(second).padStart(2, '0')}.000Z`,
  name: span_id,
  model: 'm',
  input_tokens: 0,
  output_tokens: 0,
  total_tokens: 0,
  latency_ms: 1,
  cost_cents: 0,
  status: 'ok',
  error_message: '',
  user_id: '',
  session_id: '',
  tags: [],
  metadata: {},
  prompt: '',
  response: '',
});

/** The forest as nested ids: `a(b,c)`. */
const shape = (nodes: readonly SpanNode[]): string =>
  nodes
    .map((n) => (n.children.length ? `${n.span.span_id}(${shape(n.children)})` : n.span.span_id))
    .join(',');

describe('spanTree', () => {
  it.each([
    [
      'a root and two children, children by start time',
      [span('a', '', 0), span('c', 'a', 3), span('b', 'a', 2)],
      'a(b,c)',
    ],
    ['a span whose parent is missing is a root', [span('a', '', 0), span('b', 'gone', 1)], 'a,b'],
    ['nested levels', [span('c', 'b', 2), span('b', 'a', 1), span('a', '', 0)], 'a(b(c))'],
    ['a span naming itself as parent is a root', [span('a', 'a', 0)], 'a'],
    ['a cycle of parents is cut into a root', [span('a', 'b', 0), span('b', 'a', 1)], 'a(b)'],
  ])('%s', (_name, spans, expected) => {
    expect(shape(spanTree(spans))).toBe(expected);
  });
});
