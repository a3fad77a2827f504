import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Attributes, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm, OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs/light.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../cli/free-port.js';
import type { CallCount, TraceSpan } from '../../functions/query/queries.js';
import { newApiKey } from '../../functions/shared/auth/api-keys.js';
import { OTLP_TYPES } from '../../functions/shared/otlp/proto-root.js';
import { NpmStartProcesses } from '../helpers/npm-start.js';
import { RecordingExporter } from '../helpers/recording-exporter.js';

/**
 * OTLP/HTTP trace export into the pipeline `npm start` runs, from the OpenTelemetry JS SDK's own
 * exporters (protobuf and JSON, gzip or not, the key as an option or from the environment): every
 * span of an agent's trace, whichever GenAI convention it follows, is an event the query API
 * serves with the fields the convention names. Then what an exporter must be able to rely on:
 * partial success naming the rejected span, OTLP/HTTP's status codes with google.rpc.Status
 * bodies in the request's encoding, and a resent request stored once.
 */

let dir: string;
let url: string;
let key: string;
const processes = new NpmStartProcesses();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-otlp-exporters-'));
  const started = await processes.start({
    dataDir: join(dir, 'data'),
    port: await freePort(),
    timeoutMs: 90_000,
  });
  url = started.url;
  key = (await readFile(join(dir, 'data', 'dev-api-key'), 'utf8')).trim();
}, 100_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await processes.stopAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A key of the right form for project dev that the key store never heard of. */
const unknownKey = () => newApiKey('dev', new Date()).key;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value; fails naming `what` after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function queryApi<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as T };
}

/** The trace's spans once `count` of them are queryable. */
function traceSpans(traceId: string, count: number): Promise<TraceSpan[]> {
  return until(`${count} spans of trace ${traceId} in the query API`, async () => {
    const { status, body } = await queryApi<{ spans: TraceSpan[] }>(`/v1/traces/${traceId}`);
    return status === 200 && body.spans.length >= count ? body.spans : undefined;
  });
}

/** A metadata value by its dotted path (`resource.service.name`). */
function at(metadata: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, segment) =>
        node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined,
      metadata,
    );
}

// ---------------------------------------------------------------------------------------------
// An agent's trace: a root agent span, one LLM call in each convention, a failing tool call.

const GENAI_INPUT = JSON.stringify([
  { role: 'user', parts: [{ type: 'text', content: 'Find a flight from Lisbon to Oslo on Friday' }] },
]);
const GENAI_OUTPUT = JSON.stringify([
  {
    role: 'assistant',
    parts: [{ type: 'text', content: 'TP 754 leaves at 09:40.' }],
    finish_reason: 'stop',
  },
]);

interface SentTrace {
  readonly traceId: string;
  readonly spanIds: Readonly<Record<'agent' | 'genai' | 'openllmetry' | 'openinference' | 'tool', string>>;
  readonly sessionId: string;
  readonly userId: string;
  readonly service: string;
  readonly startedAt: number;
}

/** Records the agent's trace with `processor` over `exporter`, flushes and shuts down. */
async function recordAgentTrace(
  exporter: SpanExporter,
  processor: 'simple' | 'batch',
  service: string,
): Promise<SentTrace> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.4.2' }),
    spanProcessors: [
      processor === 'simple'
        ? new SimpleSpanProcessor(exporter)
        : new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 }),
    ],
  });
  const tracer = provider.getTracer('evalforge-otlp-test', '0.0.1');
  const sessionId = `session-${randomUUID()}`;
  const userId = `user-${randomUUID()}`;
  const who: Attributes = { 'session.id': sessionId, 'user.id': userId };
  const startedAt = Date.now();

  const agent = tracer.startSpan('invoke_agent travel-planner', {
    kind: SpanKind.INTERNAL,
    attributes: { ...who, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'travel-planner' },
  });
  const inAgent = trace.setSpan(context.active(), agent);
  const child = (name: string, kind: SpanKind, attributes: Attributes) =>
    tracer.startSpan(name, { kind, attributes: { ...who, ...attributes } }, inAgent);

  const genai = child('chat gpt-4o', SpanKind.CLIENT, {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.request.temperature': 0.2,
    'gen_ai.usage.input_tokens': 1200,
    'gen_ai.usage.output_tokens': 300,
    'gen_ai.input.messages': GENAI_INPUT,
    'gen_ai.output.messages': GENAI_OUTPUT,
  });
  genai.end();

  const openllmetry = child('anthropic.chat', SpanKind.CLIENT, {
    'gen_ai.system': 'Anthropic',
    'llm.request.type': 'chat',
    'gen_ai.request.model': 'claude-3-5-sonnet-20241022',
    'gen_ai.prompt.0.role': 'system',
    'gen_ai.prompt.0.content': 'You plan trips.',
    'gen_ai.prompt.1.role': 'user',
    'gen_ai.prompt.1.content': 'Pick the cheapest of these flights.',
    'gen_ai.completion.0.role': 'assistant',
    'gen_ai.completion.0.content': 'Take TP 754.',
    'gen_ai.completion.0.finish_reason': 'stop',
    'gen_ai.usage.prompt_tokens': 500,
    'gen_ai.usage.completion_tokens': 100,
    'llm.usage.total_tokens': 640,
  });
  openllmetry.end();

  const openinference = child('ChatMistralAI', SpanKind.INTERNAL, {
    'openinference.span.kind': 'LLM',
    'llm.provider': 'mistralai',
    'llm.model_name': 'mistral-large-2411',
    'llm.token_count.prompt': 800,
    'llm.token_count.completion': 200,
    'llm.token_count.total': 1000,
    'llm.input_messages.0.message.role': 'user',
    'llm.input_messages.0.message.content': 'Summarise the itinerary.',
    'input.value': '{"messages":[{"role":"user","content":"Summarise the itinerary."}]}',
    'input.mime_type': 'application/json',
    'output.value': 'Fly on Friday, back on Monday.',
    'llm.cost.total': 0.0123,
    'tag.tags': ['itinerary', 'eu'],
  });
  openinference.end();

  const tool = child('execute_tool search_flights', SpanKind.INTERNAL, {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'search_flights',
  });
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'flight search timed out' });
  tool.end();

  agent.setStatus({ code: SpanStatusCode.OK });
  agent.end();
  // A failed export rejects the flush; the recorded results say how it ended.
  await provider.forceFlush().catch(() => undefined);
  await provider.shutdown();

  const id = (span: typeof agent) => span.spanContext().spanId;
  return {
    traceId: agent.spanContext().traceId,
    spanIds: {
      agent: id(agent),
      genai: id(genai),
      openllmetry: id(openllmetry),
      openinference: id(openinference),
      tool: id(tool),
    },
    sessionId,
    userId,
    service,
    startedAt,
  };
}

/** What the query API must answer for each span of the agent's trace. */
function expectAgentTrace(spans: readonly TraceSpan[], sent: SentTrace): void {
  const bySpan = new Map(spans.map((s) => [s.span_id, s]));
  const span = (which: keyof SentTrace['spanIds']): TraceSpan => {
    const found = bySpan.get(sent.spanIds[which]);
    if (!found) throw new Error(`span ${which} (${sent.spanIds[which]}) not in ${JSON.stringify(spans)}`);
    return found;
  };
  expect(spans).toHaveLength(5);
  for (const s of spans) {
    expect(s.trace_id).toBe(sent.traceId);
    expect(s.session_id).toBe(sent.sessionId);
    expect(s.user_id).toBe(sent.userId);
    expect(at(s.metadata, 'resource.service.name')).toBe(sent.service);
    expect(at(s.metadata, 'scope.name')).toBe('evalforge-otlp-test');
    expect(Date.parse(s.timestamp)).toBeGreaterThanOrEqual(sent.startedAt - 1);
    expect(Date.parse(s.timestamp)).toBeLessThanOrEqual(Date.now());
  }

  const agent = span('agent');
  expect(agent).toMatchObject({
    parent_span_id: '',
    name: 'invoke_agent travel-planner',
    model: '(none)',
    status: 'ok',
    input_tokens: 0,
    output_tokens: 0,
    cost_cents: 0,
  });
  expect(at(agent.metadata, 'span.kind')).toBe('internal');
  expect(at(agent.metadata, 'attributes.gen_ai.agent.name')).toBe('travel-planner');
  for (const which of ['genai', 'openllmetry', 'openinference', 'tool'] as const) {
    expect(span(which).parent_span_id).toBe(sent.spanIds.agent);
  }

  // gen_ai.*: the response model wins; no cost attribute, so the price table's gpt-4o prices it.
  const genai = span('genai');
  expect(genai).toMatchObject({
    name: 'chat gpt-4o',
    model: 'gpt-4o-2024-08-06',
    status: 'ok',
    input_tokens: 1200,
    output_tokens: 300,
    total_tokens: 1500,
    prompt: GENAI_INPUT,
    response: GENAI_OUTPUT,
  });
  expect(genai.cost_cents).toBeCloseTo((1200 * 2.5 + 300 * 10) / 1e4, 6);
  expect(at(genai.metadata, 'otlp.cost_from')).toBe('price table: gpt-4o');
  expect(at(genai.metadata, 'span.kind')).toBe('client');
  expect(at(genai.metadata, 'attributes.gen_ai.request.temperature')).toBe(0.2);

  // OpenLLMetry: indexed prompt and completion, prompt_tokens/completion_tokens, a larger total.
  const openllmetry = span('openllmetry');
  expect(openllmetry).toMatchObject({
    name: 'anthropic.chat',
    model: 'claude-3-5-sonnet-20241022',
    input_tokens: 500,
    output_tokens: 100,
    total_tokens: 640,
  });
  expect(JSON.parse(openllmetry.prompt)).toEqual([
    { role: 'system', content: 'You plan trips.' },
    { role: 'user', content: 'Pick the cheapest of these flights.' },
  ]);
  expect(JSON.parse(openllmetry.response)).toEqual([
    { role: 'assistant', content: 'Take TP 754.', finish_reason: 'stop' },
  ]);
  expect(openllmetry.cost_cents).toBeCloseTo((500 * 3 + 100 * 15) / 1e4, 6);
  expect(at(openllmetry.metadata, 'otlp.cost_from')).toBe('price table: claude-3-5-sonnet');

  // OpenInference: llm.* names, the messages before input.value, output.value, the cost it reports.
  const openinference = span('openinference');
  expect(openinference).toMatchObject({
    name: 'ChatMistralAI',
    model: 'mistral-large-2411',
    input_tokens: 800,
    output_tokens: 200,
    total_tokens: 1000,
    response: 'Fly on Friday, back on Monday.',
    tags: ['itinerary', 'eu'],
  });
  expect(JSON.parse(openinference.prompt)).toEqual([{ role: 'user', content: 'Summarise the itinerary.' }]);
  expect(openinference.cost_cents).toBeCloseTo(1.23, 6);
  expect(at(openinference.metadata, 'otlp.cost_from')).toBe('llm.cost.total');
  expect(at(openinference.metadata, 'attributes.openinference.span.kind')).toBe('LLM');

  // A tool call is not an LLM call: no model, no tokens; its error status and message are kept.
  const tool = span('tool');
  expect(tool).toMatchObject({
    name: 'execute_tool search_flights',
    model: '(none)',
    status: 'error',
    error_message: 'flight search timed out',
    input_tokens: 0,
    output_tokens: 0,
    cost_cents: 0,
    prompt: '',
    response: '',
  });
  expect(at(tool.metadata, 'attributes.gen_ai.tool.name')).toBe('search_flights');
}

// ---------------------------------------------------------------------------------------------
// The exporters, configured as applications configure them.

interface ExportSetup {
  readonly encoding: 'protobuf' | 'json';
  readonly compression: 'none' | 'gzip';
  readonly processor: 'simple' | 'batch';
  /** The key in the exporter's `headers` option, or in OTEL_EXPORTER_OTLP_HEADERS. */
  readonly configured: 'options' | 'environment';
}

const EXPORT_SETUPS: readonly ExportSetup[] = [
  { encoding: 'protobuf', compression: 'none', processor: 'simple', configured: 'options' },
  { encoding: 'protobuf', compression: 'gzip', processor: 'batch', configured: 'options' },
  { encoding: 'json', compression: 'none', processor: 'batch', configured: 'options' },
  { encoding: 'json', compression: 'gzip', processor: 'simple', configured: 'options' },
  { encoding: 'protobuf', compression: 'gzip', processor: 'batch', configured: 'environment' },
  { encoding: 'json', compression: 'none', processor: 'simple', configured: 'environment' },
];

function exporterFor(setup: ExportSetup, target = `${url}/v1/traces`, apiKey = key): SpanExporter {
  const Exporter = setup.encoding === 'protobuf' ? ProtoTraceExporter : JsonTraceExporter;
  if (setup.configured === 'environment') {
    // The exporters read the environment when they are constructed: a base URL, to which they
    // add /v1/traces, and headers percent-encoded.
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', target.replace(/\/v1\/traces$/, ''));
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', `Authorization=Bearer%20${apiKey}`);
    vi.stubEnv('OTEL_EXPORTER_OTLP_COMPRESSION', setup.compression);
    try {
      return new Exporter();
    } finally {
      vi.unstubAllEnvs();
    }
  }
  return new Exporter({
    url: target,
    headers: { Authorization: `Bearer ${apiKey}` },
    compression: setup.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
  });
}

describe('OpenTelemetry JS exporters into POST /v1/traces', () => {
  it.each(EXPORT_SETUPS)(
    '$encoding, compression $compression, $processor processor, key from $configured: every span is an event with its convention fields',
    async (setup) => {
      const exporter = new RecordingExporter(exporterFor(setup));
      const service = `travel-agent-${setup.encoding}-${setup.compression}-${setup.configured}`;
      const sent = await recordAgentTrace(exporter, setup.processor, service);

      expect(exporter.results.length).toBeGreaterThan(0);
      for (const result of exporter.results) {
        expect(result.error).toBeUndefined();
        expect(result.code).toBe(ExportResultCode.SUCCESS);
      }
      expectAgentTrace(await traceSpans(sent.traceId, 5), sent);
    },
  );

  it('fails the export at a wrong key, after one request: a 401 is not retried', async () => {
    const proxy = await countingProxy(url);
    try {
      const exporter = new RecordingExporter(
        exporterFor(
          { encoding: 'protobuf', compression: 'none', processor: 'batch', configured: 'options' },
          `${proxy.url}/v1/traces`,
          unknownKey(),
        ),
      );
      const began = Date.now();
      await recordAgentTrace(exporter, 'batch', 'wrong-key');
      expect(Date.now() - began).toBeLessThan(5_000);
      expect(exporter.results).toHaveLength(1);
      const [result] = exporter.results;
      expect(result?.code).toBe(ExportResultCode.FAILED);
      expect(result?.error).toBeInstanceOf(OTLPExporterError);
      expect((result?.error as OTLPExporterError | undefined)?.code).toBe(401);
      expect(proxy.requests()).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});

/** Forwards requests to `target` unchanged and counts them. */
async function countingProxy(
  target: string,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer(async (req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'transfer-encoding'].includes(name)) {
        headers[name] = value;
      }
    }
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: Buffer.concat(chunks),
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// Raw requests: what an exporter relies on in the answers.

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();

/** An OTLP JSON span: a chat call that started `ageMs` ago and took 250 ms. */
function jsonSpan(
  traceId: string,
  spanId: string,
  attributes: Record<string, string> = {},
  ageMs = 1_000,
): Record<string, unknown> {
  const start = Date.now() - ageMs;
  return {
    traceId,
    spanId,
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(start + 250),
    attributes: Object.entries({ 'gen_ai.request.model': 'gpt-4o-mini', ...attributes }).map(
      ([k, stringValue]) => ({ key: k, value: { stringValue } }),
    ),
    status: {},
  };
}

function jsonRequest(spans: readonly Record<string, unknown>[]): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-client' } }] },
        scopeSpans: [{ scope: { name: 'raw' }, spans }],
      },
    ],
  };
}

async function post(
  body: string | Uint8Array,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(`${url}/v1/traces`, { method: 'POST', headers, body });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

const JSON_HEADERS = () => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
const PROTOBUF_HEADERS = () => ({
  authorization: `Bearer ${key}`,
  'content-type': 'application/x-protobuf',
});

/** google.rpc.Status (google/rpc/status.proto) without `details`, to read protobuf error bodies. */
const RPC_STATUS = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(RPC_STATUS);

function protobufStatus(body: Uint8Array): { code: number; message: string } {
  return RPC_STATUS.toObject(RPC_STATUS.decode(body), { defaults: true }) as {
    code: number;
    message: string;
  };
}

function jsonStatus(body: Buffer): { code: number; message: string } {
  return JSON.parse(body.toString()) as { code: number; message: string };
}

const INVALID_ARGUMENT = 3;
const UNAUTHENTICATED = 16;

describe('POST /v1/traces answers', () => {
  it('answers a JSON request with one bad span with partial success naming its path, and stores the other', async () => {
    const traceId = hex(16);
    const good = hex(8);
    const response = await post(
      JSON.stringify(jsonRequest([jsonSpan(traceId, good), jsonSpan(hex(8), hex(8))])),
      JSON_HEADERS(),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const answer = JSON.parse(response.body.toString()) as {
      partialSuccess?: { rejectedSpans?: string; errorMessage?: string };
    };
    expect(answer.partialSuccess?.rejectedSpans).toBe('1');
    expect(answer.partialSuccess?.errorMessage).toContain('resourceSpans[0].scopeSpans[0].spans[1].traceId');

    const [stored] = await traceSpans(traceId, 1);
    expect(stored).toMatchObject({ span_id: good, model: 'gpt-4o-mini', name: 'chat gpt-4o-mini' });
    expect(at(stored?.metadata, 'resource.service.name')).toBe('raw-client');
  });

  it('answers a protobuf request with a span two years old with a protobuf partial success, and stores the other', async () => {
    const traceId = hex(16);
    const good = hex(8);
    const span = (spanId: string, ageMs: number) => {
      const start = Date.now() - ageMs;
      return {
        traceId: Buffer.from(traceId, 'hex'),
        spanId: Buffer.from(spanId, 'hex'),
        name: 'chat gpt-4o-mini',
        kind: 3,
        startTimeUnixNano: nanos(start),
        endTimeUnixNano: nanos(start + 250),
        attributes: [{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } }],
      };
    };
    const type = OTLP_TYPES.ExportTraceServiceRequest;
    const body = type
      .encode(
        type.fromObject({
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-client' } }] },
              scopeSpans: [
                { scope: { name: 'raw' }, spans: [span(good, 1_000), span(hex(8), 730 * 86_400_000)] },
              ],
            },
          ],
        }),
      )
      .finish();

    const response = await post(body, PROTOBUF_HEADERS());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    const answerType = OTLP_TYPES.ExportTraceServiceResponse;
    const answer = answerType.toObject(answerType.decode(response.body), { longs: String }) as {
      partialSuccess?: { rejectedSpans?: string; errorMessage?: string };
    };
    expect(answer.partialSuccess?.rejectedSpans).toBe('1');
    expect(answer.partialSuccess?.errorMessage).toContain('resourceSpans[0].scopeSpans[0].spans[1]');
    expect(answer.partialSuccess?.errorMessage).toContain('startTimeUnixNano');

    const spans = await traceSpans(traceId, 1);
    expect(spans.map((s) => s.span_id)).toEqual([good]);
  });

  it('answers an empty request (JSON and protobuf) with a full success', async () => {
    const json = await post('{}', JSON_HEADERS());
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body.toString())).toEqual({});
    const proto = await post(new Uint8Array(0), PROTOBUF_HEADERS());
    expect(proto.status).toBe(200);
    expect(proto.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    expect(proto.body).toHaveLength(0);
  });

  it('rejects a body over 1 MB with 413 and a google.rpc.Status', async () => {
    const traceId = hex(16);
    const body = JSON.stringify(
      jsonRequest([jsonSpan(traceId, hex(8), { 'input.value': 'x'.repeat(1_100_000) })]),
    );
    const response = await post(body, JSON_HEADERS());
    expect(response.status).toBe(413);
    expect(jsonStatus(response.body)).toMatchObject({ code: INVALID_ARGUMENT, message: expect.any(String) });
  });

  it.each([
    ['Content-Type text/plain', { 'content-type': 'text/plain' }],
    ['Content-Encoding br', { 'content-type': 'application/json', 'content-encoding': 'br' }],
  ])('rejects %s with 415 and a google.rpc.Status', async (_, headers) => {
    const response = await post(JSON.stringify(jsonRequest([jsonSpan(hex(16), hex(8))])), {
      authorization: `Bearer ${key}`,
      ...headers,
    });
    expect(response.status).toBe(415);
    const status = jsonStatus(response.body);
    expect(status.code).toBe(INVALID_ARGUMENT);
    expect(status.message).not.toBe('');
  });

  it('rejects a wrong key (JSON) and no key (protobuf) with 401 and a google.rpc.Status in the request encoding', async () => {
    const wrong = await post(JSON.stringify(jsonRequest([jsonSpan(hex(16), hex(8))])), {
      ...JSON_HEADERS(),
      authorization: `Bearer ${unknownKey()}`,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(wrong.headers.get('content-type')).toMatch(/^application\/json/);
    expect(jsonStatus(wrong.body)).toMatchObject({ code: UNAUTHENTICATED, message: expect.any(String) });

    const type = OTLP_TYPES.ExportTraceServiceRequest;
    const none = await post(type.encode(type.fromObject({ resourceSpans: [] })).finish(), {
      'content-type': 'application/x-protobuf',
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    const status = protobufStatus(none.body);
    expect(status.code).toBe(UNAUTHENTICATED);
    expect(status.message).not.toBe('');
  });

  it('rejects a malformed protobuf with 400 and a protobuf google.rpc.Status', async () => {
    // Field 1 (resource_spans) announces 5 bytes and carries 1.
    const response = await post(Uint8Array.from([0x0a, 0x05, 0x01]), PROTOBUF_HEADERS());
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    const status = protobufStatus(response.body);
    expect(status.code).toBe(INVALID_ARGUMENT);
    expect(status.message).toMatch(/ExportTraceServiceRequest/);
  });

  it('stores a request sent twice once, the resend gzipped', async () => {
    const traceId = hex(16);
    const run = randomUUID();
    const body = JSON.stringify(
      jsonRequest([
        jsonSpan(traceId, hex(8), { resend_run: run }),
        jsonSpan(traceId, hex(8), { resend_run: run }),
      ]),
    );
    const duplicatesBefore = await duplicateRecords();
    // The resend is compressed, as an exporter with gzip on would send it: the same request.
    for (const [attempt, sent, headers] of [
      [1, body, JSON_HEADERS()],
      [2, gzipSync(body), { ...JSON_HEADERS(), 'content-encoding': 'gzip' }],
    ] as const) {
      const response = await post(sent, headers);
      expect(response.status, `attempt ${attempt}`).toBe(200);
      expect(JSON.parse(response.body.toString())).toEqual({});
    }
    await traceSpans(traceId, 2);

    const count = async () =>
      (await queryApi<CallCount>(`/v1/calls/count?window=1h&metadata.attributes.resend_run=${run}`)).body;
    // The resend is done with once the loader finds its record already loaded, or stores it again.
    await until(
      'the resend skipped or stored',
      async () =>
        (await duplicateRecords()) > duplicatesBefore || (await count()).calls > 2 ? true : undefined,
      15_000,
    );
    expect(await count()).toMatchObject({ calls: 2, distinct_calls: 2, duplicate_calls: 0 });
    expect(await traceSpans(traceId, 2)).toHaveLength(2);
  });
});

/** `npm start`'s count of stream records the loader found already loaded (GET /metrics). */
async function duplicateRecords(): Promise<number> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  const text = await response.text();
  return Number(/^evalforge_duplicate_records_total (\S+)$/m.exec(text)?.[1]);
}
