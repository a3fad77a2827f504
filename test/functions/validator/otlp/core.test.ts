import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModelPrices } from '../../../../functions/shared/model-prices.js';
import { NO_MODEL, tracesToEvents } from '../../../../functions/shared/otlp/core.js';
import { decodeJsonRequest, decodeProtobufRequest } from '../../../../functions/shared/otlp/decode.js';
import {
  type Json,
  jsonBytes,
  jsonRequest,
  jsonSpan,
  PARENT_ID,
  protobufBytes,
  SPAN_ID,
  TRACE_ID,
} from './otlp-fixtures.js';

const PROJECT = 'acme';

function ingest(
  spans: Json[],
  resource?: Record<string, unknown>,
  options: { prices?: ReturnType<typeof parseModelPrices> } = {},
) {
  return tracesToEvents(decodeJsonRequest(jsonBytes(jsonRequest(spans, resource))), {
    projectId: PROJECT,
    ...options,
  });
}

function onlyEvent(span: Json, resource?: Record<string, unknown>) {
  const result = ingest([span], resource);
  expect(result.rejected).toEqual([]);
  const event = result.events[0];
  if (!event) throw new Error('no event');
  return event;
}

const spanId = (n: number) => n.toString(16).padStart(16, '0');

describe('spans to events: the span itself', () => {
  it('maps ids, name, times, status and resource of a plain span', () => {
    const event = onlyEvent(
      jsonSpan({ name: 'GET /orders', kind: 2 }, { 'http.request.method': 'GET', 'url.path': '/orders' }),
      { 'service.name': 'checkout', 'service.version': '1.2.0' },
    );
    expect(event).toMatchObject({
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
      parent_span_id: PARENT_ID,
      project_id: PROJECT,
      name: 'GET /orders',
      timestamp: '2026-01-31T12:00:00.123Z',
      latency_ms: 1500,
      model: NO_MODEL,
      input_tokens: 0,
      output_tokens: 0,
      tokens_used: 0,
      cost_cents: 0,
      status: 'ok',
      prompt: '',
      response: '',
    });
    expect(event.metadata).toEqual({
      span: { kind: 'server' },
      attributes: { http: { request: { method: 'GET' } }, url: { path: '/orders' } },
      resource: { service: { name: 'checkout', version: '1.2.0' } },
      scope: { name: 'openinference.instrumentation.openai', version: '0.1.0' },
    });
  });

  it('maps a root span to an empty parent and keeps sub-millisecond latency', () => {
    const event = onlyEvent(jsonSpan({ parentSpanId: '', endTimeUnixNano: '1769860800123706789' }));
    expect(event.parent_span_id).toBe('');
    expect(event.latency_ms).toBe(0.25);
  });

  it('maps status ERROR to an error with the status message, or the exception event', () => {
    const withMessage = onlyEvent(jsonSpan({ status: { code: 2, message: 'upstream timed out' } }));
    expect(withMessage).toMatchObject({ status: 'error', error_message: 'upstream timed out' });
    const fromException = onlyEvent(
      jsonSpan({
        status: { code: 2 },
        events: [
          {
            name: 'exception',
            timeUnixNano: '1769860800200000000',
            attributes: [
              { key: 'exception.type', value: { stringValue: 'ValueError' } },
              { key: 'exception.message', value: { stringValue: 'bad input' } },
            ],
          },
        ],
      }),
    );
    expect(fromException).toMatchObject({ status: 'error', error_message: 'ValueError: bad input' });
    expect(fromException.metadata).toMatchObject({
      span: {
        status_code: 'error',
        exception: { type: 'ValueError', message: 'bad input' },
        events: [{ name: 'exception', time_ms: 1769860800200 }],
      },
    });
    const ok = onlyEvent(jsonSpan({ status: { code: 1, message: 'fine' } }));
    expect(ok).toMatchObject({ status: 'ok', error_message: '' });
    expect(ok.metadata).toMatchObject({ span: { status_code: 'ok', status_message: 'fine' } });
  });
});

describe('the specification example', () => {
  it("maps opentelemetry-proto's examples/trace.json (v1.11.0, Apache-2.0), uppercase hex ids included", () => {
    const body = readFileSync(new URL('./fixtures/opentelemetry-proto-example-trace.json', import.meta.url));
    const result = tracesToEvents(decodeJsonRequest(body), { projectId: PROJECT });
    expect(result.rejected).toEqual([]);
    expect(result.events).toEqual([
      expect.objectContaining({
        trace_id: '5b8efff798038103d269b633813fc60c',
        span_id: 'eee19b7ec3c1b174',
        parent_span_id: 'eee19b7ec3c1b173',
        name: "I'm a server span",
        timestamp: '2018-12-13T14:51:00.000Z',
        latency_ms: 1000,
        metadata: {
          span: { kind: 'server' },
          attributes: { my: { span: { attr: 'some value' } } },
          resource: { service: { name: 'my.service' } },
          scope: {
            name: 'my.library',
            version: '1.0.0',
            attributes: { my: { scope: { attribute: 'some scope attribute' } } },
          },
        },
      }),
    ]);
  });
});

describe('spans to events: LLM conventions', () => {
  it('reads the current gen_ai conventions, pricing tokens from the table', () => {
    const input = [{ role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] }];
    const output = [
      { role: 'assistant', parts: [{ type: 'text', content: 'Sunny.' }], finish_reason: 'stop' },
    ];
    const event = onlyEvent(
      jsonSpan(
        {},
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.input_tokens': 100,
          'gen_ai.usage.output_tokens': 50,
          'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Be brief.' }]),
          'gen_ai.input.messages': JSON.stringify(input),
          'gen_ai.output.messages': JSON.stringify(output),
          'gen_ai.conversation.id': 'conv-7',
          'user.id': 'u-1',
        },
      ),
    );
    expect(event).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      input_tokens: 100,
      output_tokens: 50,
      tokens_used: 150,
      session_id: 'conv-7',
      user_id: 'u-1',
      response: JSON.stringify(output),
    });
    // gpt-4o: $2.50 in, $10 out per 1M tokens → (100 × 2.5 + 50 × 10) / 1e6 USD = 0.075 cents.
    expect(event.cost_cents).toBeCloseTo(0.075, 12);
    expect(JSON.parse(event.prompt)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
      ...input,
    ]);
    expect(event.metadata).toMatchObject({
      attributes: {
        gen_ai: { operation: { name: 'chat' }, provider: { name: 'openai' }, request: { model: 'gpt-4o' } },
      },
      otlp: { cost_from: 'price table: gpt-4o' },
    });
    const attributes = (event.metadata as { attributes: { gen_ai: Record<string, unknown> } }).attributes
      .gen_ai;
    expect(attributes).not.toHaveProperty('input');
    expect(attributes).not.toHaveProperty('usage');
  });

  it('reads messages from the gen_ai.client.inference.operation.details event', () => {
    const event = onlyEvent(
      jsonSpan({
        attributes: [{ key: 'gen_ai.request.model', value: { stringValue: 'gemini-2.5-flash' } }],
        events: [
          {
            name: 'gen_ai.client.inference.operation.details',
            timeUnixNano: '1769860801000000000',
            attributes: [
              { key: 'gen_ai.input.messages', value: { stringValue: '[{"role":"user","parts":[]}]' } },
              { key: 'gen_ai.output.messages', value: { stringValue: '[{"role":"assistant","parts":[]}]' } },
            ],
          },
        ],
      }),
    );
    expect(event).toMatchObject({
      model: 'gemini-2.5-flash',
      prompt: '[{"role":"user","parts":[]}]',
      response: '[{"role":"assistant","parts":[]}]',
    });
    expect(event.metadata).not.toHaveProperty('span.events');
  });

  it('reads the deprecated gen_ai message and choice events', () => {
    const event = onlyEvent(
      jsonSpan({
        attributes: [{ key: 'gen_ai.system', value: { stringValue: 'openai' } }],
        events: [
          {
            name: 'gen_ai.system.message',
            timeUnixNano: '0',
            attributes: [
              { key: 'gen_ai.system', value: { stringValue: 'openai' } },
              { key: 'content', value: { stringValue: 'Be brief.' } },
            ],
          },
          {
            name: 'gen_ai.user.message',
            timeUnixNano: '0',
            attributes: [{ key: 'content', value: { stringValue: 'Hi' } }],
          },
          {
            name: 'gen_ai.choice',
            timeUnixNano: '0',
            attributes: [
              { key: 'index', value: { intValue: '0' } },
              { key: 'finish_reason', value: { stringValue: 'stop' } },
              {
                key: 'message',
                value: { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'Hello' } }] } },
              },
            ],
          },
        ],
      }),
    );
    expect(JSON.parse(event.prompt)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(JSON.parse(event.response)).toEqual([
      { index: 0, finish_reason: 'stop', message: { content: 'Hello' } },
    ]);
    expect(event.model).toBe(NO_MODEL);
    expect(event.metadata).toMatchObject({ attributes: { gen_ai: { system: 'openai' } } });
  });

  it("reads OpenLLMetry's indexed prompts and completions and its token names", () => {
    const event = onlyEvent(
      jsonSpan(
        { name: 'anthropic.chat' },
        {
          'gen_ai.system': 'Anthropic',
          'gen_ai.request.model': 'claude-3-5-sonnet-20241022',
          'gen_ai.usage.prompt_tokens': 1000,
          'gen_ai.usage.completion_tokens': 200,
          'llm.usage.total_tokens': 1250,
          'gen_ai.prompt.0.role': 'system',
          'gen_ai.prompt.0.content': 'Be brief.',
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content': 'Hi',
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.content': 'Hello',
          'gen_ai.completion.0.finish_reason': 'end_turn',
          'gen_ai.completion.0.tool_calls.0.name': 'lookup',
          'traceloop.workflow.name': 'support',
        },
      ),
    );
    expect(event).toMatchObject({
      model: 'claude-3-5-sonnet-20241022',
      input_tokens: 1000,
      output_tokens: 200,
      tokens_used: 1250,
    });
    // claude-3-5-sonnet: $3 in, $15 out → (1000 × 3 + 200 × 15) / 1e6 USD = 0.6 cents.
    expect(event.cost_cents).toBeCloseTo(0.6, 12);
    expect(JSON.parse(event.prompt)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(JSON.parse(event.response)).toEqual([
      { role: 'assistant', content: 'Hello', finish_reason: 'end_turn', tool_calls: [{ name: 'lookup' }] },
    ]);
    expect(event.metadata).toMatchObject({ attributes: { traceloop: { workflow: { name: 'support' } } } });
    expect(JSON.stringify(event.metadata)).not.toContain('Be brief.');
  });

  it("reads OpenInference's llm.* attributes, its cost in dollars, session, user and tags", () => {
    const event = onlyEvent(
      jsonSpan(
        { name: 'ChatCompletion', kind: 1 },
        {
          'openinference.span.kind': 'LLM',
          'llm.model_name': 'gpt-4o-mini',
          'llm.token_count.prompt': 10,
          'llm.token_count.completion': 5,
          'llm.token_count.total': 15,
          'llm.input_messages.0.message.role': 'user',
          'llm.input_messages.0.message.content': 'What is 2+2?',
          'llm.output_messages.0.message.role': 'assistant',
          'llm.output_messages.0.message.content': '4',
          'input.value': '{"messages":[{"role":"user","content":"What is 2+2?"}]}',
          'input.mime_type': 'application/json',
          'output.value': '{"choices":[]}',
          'llm.cost.total': 0.0123,
          'session.id': 'sess-1',
          'user.id': 'user-1',
          'tag.tags': ['beta', 'eu'],
        },
      ),
    );
    expect(event).toMatchObject({
      model: 'gpt-4o-mini',
      input_tokens: 10,
      output_tokens: 5,
      tokens_used: 15,
      session_id: 'sess-1',
      user_id: 'user-1',
      tags: ['beta', 'eu'],
    });
    expect(event.cost_cents).toBeCloseTo(1.23, 12);
    expect(JSON.parse(event.prompt)).toEqual([{ role: 'user', content: 'What is 2+2?' }]);
    expect(JSON.parse(event.response)).toEqual([{ role: 'assistant', content: '4' }]);
    expect(event.metadata).toMatchObject({
      span: { kind: 'internal' },
      attributes: { openinference: { span: { kind: 'LLM' } }, input: { mime_type: 'application/json' } },
      otlp: { cost_from: 'llm.cost.total' },
    });
    expect(JSON.stringify(event.metadata)).not.toContain('choices');
  });

  it('reads a chain or tool span (no model) with input.value and output.value as prompt and response', () => {
    const event = onlyEvent(
      jsonSpan(
        { name: 'search_docs', kind: 1 },
        { 'openinference.span.kind': 'TOOL', 'input.value': 'refund policy', 'output.value': '3 documents' },
      ),
    );
    expect(event).toMatchObject({
      model: NO_MODEL,
      prompt: 'refund policy',
      response: '3 documents',
      input_tokens: 0,
      cost_cents: 0,
    });
  });

  it.each([
    [
      'OpenInference prompt and completion costs',
      { 'llm.cost.prompt': 0.01, 'llm.cost.completion': 0.02 },
      3,
    ],
    ['gen_ai.usage.cost', { 'gen_ai.usage.cost': '0.5' }, 50],
  ])('takes the span cost from %s before the price table', (_, costs, cents) => {
    const event = onlyEvent(
      jsonSpan({}, { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1_000_000, ...costs }),
    );
    expect(event.cost_cents).toBeCloseTo(cents, 9);
  });

  it('prices a model from an operator table, and leaves the cost 0 for a model no table knows', () => {
    const prices = parseModelPrices(
      '{"acme-llm": {"inputUsdPerMTok": 1, "outputUsdPerMTok": 3}}',
      'OTLP_MODEL_PRICES',
    );
    const span = (model: string) =>
      jsonSpan(
        {},
        {
          'gen_ai.request.model': model,
          'gen_ai.usage.input_tokens': 2_000,
          'gen_ai.usage.output_tokens': 1_000,
        },
      );
    const [custom, unknown] = ingest(
      [span('acme-llm-v2'), { ...(span('mystery-9') as object), spanId: spanId(9) }],
      undefined,
      {
        prices,
      },
    ).events;
    // (2000 × 1 + 1000 × 3) / 1e6 USD = 0.5 cents.
    expect(custom?.cost_cents).toBeCloseTo(0.5, 12);
    expect(unknown?.cost_cents).toBe(0);
    expect(unknown?.metadata).not.toHaveProperty('otlp');
  });

  it('leaves out a total below input + output and a token count that is not one, with notes', () => {
    const event = onlyEvent(
      jsonSpan(
        {},
        {
          'gen_ai.request.model': 'x',
          'gen_ai.usage.input_tokens': 'many',
          'llm.token_count.prompt': '12',
          'gen_ai.usage.output_tokens': 8,
          'llm.usage.total_tokens': 5,
        },
      ),
    );
    expect(event).toMatchObject({ input_tokens: 12, output_tokens: 8, tokens_used: 20 });
    expect((event.metadata as { otlp: { notes: string[] } }).otlp.notes).toEqual([
      'gen_ai.usage.input_tokens: "many" is not a token count; not used',
      'llm.usage.total_tokens: 5 is less than input + output (20); not used',
    ]);
  });
});

describe('spans to events: partial success', () => {
  it('rejects each invalid span alone, naming its path and field, and keeps the others', () => {
    const result = ingest([
      jsonSpan({ spanId: spanId(1) }),
      jsonSpan({ spanId: spanId(2), traceId: '0102030405060708' }),
      jsonSpan({ spanId: spanId(3), kind: 9, status: { code: 7 } }),
      jsonSpan({ spanId: spanId(4), endTimeUnixNano: '0' }),
      jsonSpan({ spanId: spanId(5), startTimeUnixNano: '1769860801623456790' }),
      jsonSpan({ spanId: spanId(6), parentSpanId: '01' }),
      jsonSpan({ spanId: spanId(1) }),
      jsonSpan({ spanId: '0000000000000000' }),
      jsonSpan(
        { spanId: spanId(7) },
        { 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 200_000_000 },
      ),
      jsonSpan({ spanId: spanId(8), startTimeUnixNano: '1000000000', endTimeUnixNano: '2000000000' }),
    ]);
    const at = (k: number) => `resourceSpans[0].scopeSpans[0].spans[${k}]`;
    expect(result.spanCount).toBe(10);
    expect(result.events.map((e) => e.span_id)).toEqual([spanId(1)]);
    expect(result.rejected).toEqual([
      { index: 1, path: at(1), reason: `${at(1)}.traceId: must be 16 bytes, got 8` },
      {
        index: 2,
        path: at(2),
        reason: `${at(2)}.kind: 9 is not a SpanKind (0-5: unspecified, internal, server, client, producer, consumer); ${at(2)}.status.code: 7 is not a StatusCode (0-2: unset, ok, error)`,
      },
      { index: 3, path: at(3), reason: `${at(3)}.endTimeUnixNano: must be set: the span has not ended` },
      {
        index: 4,
        path: at(4),
        reason: `${at(4)}.endTimeUnixNano: 1769860801623456789 is before startTimeUnixNano 1769860801623456790`,
      },
      {
        index: 5,
        path: at(5),
        reason: `${at(5)}.parentSpanId: must be 8 bytes or empty (a root span), got 1`,
      },
      { index: 6, path: at(6), reason: `${at(6)}: the same traceId and spanId as ${at(0)}` },
      { index: 7, path: at(7), reason: `${at(7)}: span_id: must not be all zeros` },
      {
        index: 8,
        path: at(8),
        reason: `${at(8)}: input_tokens: must be at most 100000000 (input_tokens from gen_ai.usage.input_tokens)`,
      },
      expect.objectContaining({
        index: 9,
        reason: expect.stringMatching(
          /^.*spans\[9\]: timestamp: must be whole epoch milliseconds after 2000-01-01/,
        ),
      }),
    ]);
  });

  it("rejects spans outside the validator's clock window when it is given", () => {
    const nowMs = Date.parse('2026-01-31T12:00:00.000Z');
    const window = { nowMs, maxFutureSkewMs: 5 * 60_000, maxAgeMs: 365 * 86_400_000 };
    const json = jsonRequest([
      jsonSpan({ spanId: spanId(1) }),
      jsonSpan({
        spanId: spanId(2),
        startTimeUnixNano: '1769861200000000000',
        endTimeUnixNano: '1769861201000000000',
      }),
      jsonSpan({
        spanId: spanId(3),
        startTimeUnixNano: '1700000000000000000',
        endTimeUnixNano: '1700000001000000000',
      }),
    ]);
    const result = tracesToEvents(decodeJsonRequest(jsonBytes(json)), {
      projectId: PROJECT,
      timeWindow: window,
    });
    expect(result.events.map((e) => e.span_id)).toEqual([spanId(1)]);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      "resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano: 2026-01-31T12:06:40.000Z is more than 5 minutes ahead of the server clock (2026-01-31T12:00:00.000Z); check the client's clock",
      'resourceSpans[0].scopeSpans[0].spans[2].startTimeUnixNano: 2023-11-14T22:13:20.000Z is more than 365 days old',
    ]);
  });

  it('maps a protobuf request exactly as its JSON twin', () => {
    const json = jsonRequest([
      jsonSpan({}, { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 3 }),
    ]);
    const fromJson = tracesToEvents(decodeJsonRequest(jsonBytes(json)), { projectId: PROJECT });
    const fromProtobuf = tracesToEvents(decodeProtobufRequest(protobufBytes(json)), { projectId: PROJECT });
    expect(fromProtobuf).toEqual(fromJson);
    expect(fromJson.events).toHaveLength(1);
  });
});

describe('spans to events: what does not fit is cut or left out, not rejected', () => {
  it('cuts a prompt past the contract limit and a long name, with notes', () => {
    const event = onlyEvent(
      jsonSpan({ name: 'n'.repeat(300) }, { 'input.value': `😀${'x'.repeat(300_000)}` }),
    );
    expect(event.prompt).toHaveLength(262_144);
    expect(event.name).toHaveLength(256);
    expect((event.metadata as { otlp: { notes: string[] } }).otlp.notes).toEqual([
      'name: cut to 256 characters from 300',
      'prompt: cut to 262144 characters from 300002',
    ]);
  });

  it('leaves out the largest values past the metadata byte limit and keys nested too deep; keeps the first of two keys on one path', () => {
    const event = onlyEvent(
      jsonSpan(
        {},
        {
          'db.system': 'postgresql',
          'db.system.name': 'postgresql',
          'a.b.c.d.e.f': 1,
          'big.blob': 'x'.repeat(20_000),
          'huge.number': 1e300,
          deep: { l1: { l2: { l3: { l4: 'x' } } } },
          small: 'kept',
        },
      ),
    );
    const metadata = event.metadata as {
      attributes: Record<string, unknown>;
      otlp: { notes: string[] };
    };
    expect(metadata.attributes).toEqual({
      db: { system: 'postgresql' },
      huge: { number: '1e+300' },
      deep: '{"l1":{"l2":{"l3":{"l4":"x"}}}}',
      small: 'kept',
    });
    expect(metadata.otlp.notes).toEqual([
      'attributes.db.system.name: not kept, attributes.db.system is already a value',
      'attributes.a.b.c.d.e.f: not kept, nested deeper than 5 levels',
      'attributes.deep: kept as JSON text, nested too deep',
      'attributes.big.blob: not kept, metadata is limited to 16384 bytes',
    ]);
    expect(Buffer.byteLength(JSON.stringify(event.metadata))).toBeLessThanOrEqual(16_384);
  });

  it('cuts overlong tags and keeps at most 32', () => {
    const tags = [...Array.from({ length: 40 }, (_, i) => `t${i}`), 'y'.repeat(65), ''];
    const event = onlyEvent(jsonSpan({}, { 'tag.tags': tags }));
    expect(event.tags).toEqual(tags.slice(0, 32));
  });

  it('gives each span of a resource its own copy of the resource and scope metadata, notes included', () => {
    const resource = {
      'service.name': 'checkout',
      'service.name.x': 'clash',
      'deployment.environment': 'prod',
    };
    const spans = [jsonSpan(), jsonSpan({ spanId: 'eee19b7ec3c1b175' }, { big: 'x'.repeat(9_000) })];
    const { events } = tracesToEvents(decodeJsonRequest(jsonBytes(jsonRequest(spans, resource))), {
      projectId: 'p1',
    });
    const [first, second] = events.map((e) => e.metadata as Record<string, Record<string, unknown>>);
    expect(first?.resource).toEqual({ service: { name: 'checkout' }, deployment: { environment: 'prod' } });
    expect(first?.scope).toEqual({ name: 'openinference.instrumentation.openai', version: '0.1.0' });
    // The clash is noted on every span, not only on the first that built the resource's metadata.
    for (const metadata of [first, second]) {
      expect(JSON.stringify(metadata?.otlp?.notes)).toContain('resource.service.name.x: not kept');
    }
    expect(second?.resource).not.toBe(first?.resource);
    expect(second?.resource).toEqual(first?.resource);
  });
});
