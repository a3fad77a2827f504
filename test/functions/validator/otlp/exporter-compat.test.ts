import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { tracesToEvents } from '../../../../functions/shared/otlp/core.js';
import { decodeTraceRequest } from '../../../../functions/shared/otlp/decode.js';
import {
  describeRejections,
  encodeErrorStatus,
  encodeTraceResponse,
} from '../../../../functions/validator/otlp/response.js';

/**
 * What real exporters send: spans recorded by the OpenTelemetry JavaScript SDK and serialised by
 * its own OTLP transformer (its protobuf writer is its own code, not protobufjs).
 */
function recordSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'support-agent',
      'deployment.environment.name': 'test',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('agent-lib', '2.1.0');
  const agent = tracer.startSpan('invoke_agent support', { kind: SpanKind.INTERNAL });
  const inAgent = trace.setSpan(context.active(), agent);
  const chat: Span = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"Where is my order?"}]}]',
        'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"On its way."}]}]',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.stop_sequences': ['\n\n'],
        'session.id': 'sess-42',
      },
    },
    inAgent,
  );
  chat.end();
  const tool = tracer.startSpan('execute_tool lookup_order', { kind: SpanKind.INTERNAL }, inAgent);
  tool.recordException(new RangeError('order id out of range'));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'lookup failed' });
  tool.end();
  agent.end();
  return exporter.getFinishedSpans();
}

const hrMs = ([seconds, nanos]: [number, number]) => seconds * 1000 + Math.floor(nanos / 1e6);

describe.each([
  ['protobuf', ProtobufTraceSerializer, 'application/x-protobuf'],
  ['JSON', JsonTraceSerializer, 'application/json'],
] as const)('requests from the OpenTelemetry JS exporter (%s)', (_, serializer, contentType) => {
  it('decodes every span and maps it to an event that passes the contract', () => {
    const spans = recordSpans();
    const body = serializer.serializeRequest(spans);
    if (!body) throw new Error('nothing serialised');
    const { request } = decodeTraceRequest(body, { contentType, maxDecodedBytes: 1 << 20 });
    const result = tracesToEvents(request, { projectId: 'acme' });
    expect(result.rejected).toEqual([]);
    expect(result.events).toHaveLength(3);

    for (const span of spans) {
      const event = result.events.find((e) => e.span_id === span.spanContext().spanId);
      expect(event, span.name).toBeDefined();
      expect(event?.trace_id).toBe(span.spanContext().traceId);
      expect(event?.parent_span_id).toBe(span.parentSpanContext?.spanId ?? '');
      expect(event?.name).toBe(span.name);
      expect(Date.parse(event?.timestamp ?? '')).toBe(hrMs(span.startTime));
      expect(event?.latency_ms).toBeCloseTo(span.duration[0] * 1000 + span.duration[1] / 1e6, 6);
    }
    const [chat, tool, agent] = ['chat gpt-4o-mini', 'execute_tool lookup_order', 'invoke_agent support'].map(
      (name) => result.events.find((e) => e.name === name),
    );
    expect(chat).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      input_tokens: 1200,
      output_tokens: 300,
      session_id: 'sess-42',
      response: '[{"role":"assistant","parts":[{"type":"text","content":"On its way."}]}]',
      metadata: {
        span: { kind: 'client' },
        attributes: {
          gen_ai: { request: { temperature: 0.2, stop_sequences: ['\n\n'], model: 'gpt-4o-mini' } },
        },
        resource: { service: { name: 'support-agent' }, deployment: { environment: { name: 'test' } } },
        scope: { name: 'agent-lib', version: '2.1.0' },
      },
    });
    // gpt-4o-mini: (1200 × $0.15 + 300 × $0.60) / 1M = $0.00036 = 0.036 cents.
    expect(chat?.cost_cents).toBeCloseTo(0.036, 12);
    expect(tool).toMatchObject({
      status: 'error',
      error_message: 'lookup failed',
      model: '(none)',
      metadata: { span: { exception: { type: 'RangeError', message: 'order id out of range' } } },
    });
    expect(agent).toMatchObject({ parent_span_id: '', status: 'ok', model: '(none)' });
  });
});

describe('responses the OpenTelemetry JS exporter reads', () => {
  const rejected = [{ index: 1, path: 'resourceSpans[0].scopeSpans[0].spans[1]', reason: 'bad span' }];

  it('writes partial success in protobuf', () => {
    const response = encodeTraceResponse('protobuf', {
      rejectedSpans: 1,
      errorMessage: describeRejections(rejected, 3),
    });
    expect(response.contentType).toBe('application/x-protobuf');
    expect(ProtobufTraceSerializer.deserializeResponse(response.body)).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: '1 of 3 spans rejected: bad span' },
    });
  });

  it('writes partial success in JSON, int64 as a decimal string', () => {
    const response = encodeTraceResponse('json', { rejectedSpans: 1, errorMessage: 'x' });
    expect(response.contentType).toBe('application/json');
    expect(JsonTraceSerializer.deserializeResponse(response.body)).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: 'x' },
    });
  });

  it('leaves partial_success out of a full success', () => {
    expect(encodeTraceResponse('protobuf', { rejectedSpans: 0, errorMessage: '' }).body).toHaveLength(0);
    expect(
      Buffer.from(encodeTraceResponse('json', { rejectedSpans: 0, errorMessage: '' }).body).toString(),
    ).toBe('{}');
    expect(ProtobufTraceSerializer.deserializeResponse(new Uint8Array())).toEqual({});
  });

  it('names the first five rejections and counts the rest', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ index: i, path: `p${i}`, reason: `r${i}` }));
    expect(describeRejections(many, 10)).toBe('7 of 10 spans rejected: r0 | r1 | r2 | r3 | r4 | and 2 more');
    expect(describeRejections([], 10)).toBe('');
  });

  it('writes error bodies as google.rpc.Status in the request encoding', () => {
    const protobuf = encodeErrorStatus('protobuf', 400, 'spans[0].kind: bad');
    // field 1 varint 3, field 2 length-delimited text: the wire form of Status{code: 3, message}.
    expect(Buffer.from(protobuf.body)).toEqual(
      Buffer.concat([Buffer.from([0x08, 0x03, 0x12, 18]), Buffer.from('spans[0].kind: bad')]),
    );
    expect(JSON.parse(Buffer.from(encodeErrorStatus('json', 503, 'retry later').body).toString())).toEqual({
      code: 14,
      message: 'retry later',
    });
    expect(encodeErrorStatus(undefined, 415, 'x').contentType).toBe('application/json');
  });
});
