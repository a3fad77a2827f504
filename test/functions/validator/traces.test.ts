import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../../functions/shared/http.js';
import { OTLP_TYPES } from '../../../functions/shared/otlp/proto-root.js';
import type { PutRecords } from '../../../functions/validator/stream-writer.js';
import { harness, NOW } from '../../helpers/validator-harness.js';
import {
  type Json,
  jsonBytes,
  jsonRequest,
  jsonSpan,
  protobufBytes,
  SPAN_ID,
  TRACE_ID,
} from './otlp/otlp-fixtures.js';

/**
 * `POST /v1/traces` at the validator core: OTLP/HTTP's answers (the specification's status codes,
 * bodies in the request's encoding), the spans on the stream as events, and the paths an exporter
 * retries.
 */

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const LLM = {
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.usage.input_tokens': 120,
  'gen_ai.usage.output_tokens': 30,
};

/** A span of the harness's clock: the fixtures' own start is months before it, within a year. */
const span = (overrides: Record<string, Json> = {}, attributes: Record<string, unknown> = LLM) =>
  jsonSpan(overrides, attributes);

const bodyBytes = (response: HttpResponse) =>
  Buffer.from(response.body, response.bodyEncoding === 'base64' ? 'base64' : 'utf8');

/** The `google.rpc.Status` of an error answer, decoded from its own encoding. */
function status(response: HttpResponse): { code: number; message: string } {
  if (response.headers['content-type'] === JSON_TYPE) return JSON.parse(response.body);
  const type = new protobuf.Type('Status')
    .add(new protobuf.Field('code', 1, 'int32'))
    .add(new protobuf.Field('message', 2, 'string'));
  return type.toObject(type.decode(bodyBytes(response)), { defaults: true }) as {
    code: number;
    message: string;
  };
}

/** The `ExportTraceServiceResponse` of a 200, decoded from its own encoding. */
function exportResponse(response: HttpResponse): {
  partialSuccess?: { rejectedSpans: string; errorMessage: string };
} {
  if (response.headers['content-type'] === JSON_TYPE) return JSON.parse(response.body);
  const type = OTLP_TYPES.ExportTraceServiceResponse;
  return type.toObject(type.decode(bodyBytes(response)), { longs: String }) as never;
}

function post(
  h: ReturnType<typeof harness>,
  body: Uint8Array,
  headers: Record<string, string | undefined>,
  path = '/v1/traces',
) {
  return h.send({
    path,
    body: Buffer.from(body),
    headers: { authorization: `Bearer ${h.key}`, ...headers },
  });
}

describe('POST /v1/traces', () => {
  it.each([
    ['JSON', JSON_TYPE, (r: Json) => jsonBytes(r)],
    ['protobuf', PROTOBUF, (r: Json) => protobufBytes(r)],
    ['gzip protobuf', PROTOBUF, (r: Json) => gzipSync(protobufBytes(r))],
  ] as const)(
    'takes %s: 200, an empty ExportTraceServiceResponse in its encoding, each span an event on the stream',
    async (_, contentType, encode) => {
      const h = harness();
      const gzip = _ === 'gzip protobuf' ? { 'content-encoding': 'gzip' } : {};
      const { response, summary } = await post(h, encode(jsonRequest([span()])), {
        'content-type': contentType,
        ...gzip,
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe(contentType);
      expect(exportResponse(response).partialSuccess).toBeUndefined();
      expect(summary).toMatchObject({ route: 'traces', eventsAccepted: 1, eventsRejected: 0, records: 1 });
      expect(h.streamedEvents()).toEqual([
        expect.objectContaining({
          trace_id: TRACE_ID,
          span_id: SPAN_ID,
          model: 'gpt-4o-mini',
          input_tokens: 120,
          output_tokens: 30,
          latency_ms: 1_500,
        }),
      ]);
    },
  );

  it('answers a partial success: the spans that break the contract named, the others on the stream', async () => {
    const h = harness();
    const bad = span({ traceId: '0102030405060708', spanId: 'aaaaaaaaaaaaaaaa' });
    const { response, summary } = await post(h, jsonBytes(jsonRequest([span(), bad])), {
      'content-type': JSON_TYPE,
    });
    expect(response.statusCode).toBe(200);
    const partial = exportResponse(response).partialSuccess;
    expect(partial?.rejectedSpans).toBe('1');
    expect(partial?.errorMessage).toContain('1 of 2 spans rejected');
    expect(partial?.errorMessage).toContain('resourceSpans[0].scopeSpans[0].spans[1].traceId');
    expect(summary).toMatchObject({ eventsAccepted: 1, eventsRejected: 1 });
    expect(h.streamedEvents()).toHaveLength(1);
  });

  it('answers a partial success in protobuf too, rejectedSpans as the int64 it is', async () => {
    const h = harness();
    const old = span({
      spanId: 'bbbbbbbbbbbbbbbb',
      startTimeUnixNano: String(BigInt(NOW - 400 * 86_400_000) * 1_000_000n),
      endTimeUnixNano: String(BigInt(NOW - 400 * 86_400_000 + 10) * 1_000_000n),
    });
    const { response } = await post(h, protobufBytes(jsonRequest([old, span()])), {
      'content-type': PROTOBUF,
    });
    expect(response.statusCode).toBe(200);
    expect(response.bodyEncoding).toBe('base64');
    const partial = exportResponse(response).partialSuccess;
    expect(partial?.rejectedSpans).toBe('1');
    expect(partial?.errorMessage).toContain('days old');
  });

  it.each([
    ['no key', undefined, 401, 16],
    ['a key that does not exist', 'Bearer ef_nope_nope', 401, 16],
  ])('refuses %s with 401, a Status body and WWW-Authenticate', async (_, authorization, code, rpc) => {
    const h = harness();
    const { response } = await post(h, protobufBytes(jsonRequest([span()])), {
      'content-type': PROTOBUF,
      authorization,
    });
    expect(response.statusCode).toBe(code);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(status(response).code).toBe(rpc);
    expect(h.written).toHaveLength(0);
  });

  it('refuses a content type OTLP does not use with 415, answered in JSON', async () => {
    const h = harness();
    const { response } = await post(h, Buffer.from('hello'), { 'content-type': 'text/plain' });
    expect(response.statusCode).toBe(415);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(status(response).message).toContain('application/x-protobuf');
  });

  it('refuses malformed protobuf with 400 and a protobuf Status naming the problem, never a 5xx', async () => {
    const h = harness();
    const { response, summary } = await post(h, Buffer.from([0x0a, 0xff, 0xff, 0xff]), {
      'content-type': PROTOBUF,
    });
    expect(response.statusCode).toBe(400);
    expect(status(response)).toMatchObject({ code: 3 });
    expect(status(response).message.length).toBeGreaterThan(10);
    expect(summary.errorCode).toBe('invalid_otlp');
  });

  it('refuses a body over the load balancer’s 1 MB with 413', async () => {
    const h = harness();
    const { response } = await post(h, Buffer.alloc(1_048_577, 1), { 'content-type': PROTOBUF });
    expect(response.statusCode).toBe(413);
    expect(status(response).message).toContain('1 MB');
  });

  it('rejects a span whose event does not fit a stream record alone, counted as event_too_large', async () => {
    const limits = harness().deps.limits;
    const h = harness({ deps: { limits: { ...limits, pack: { ...limits.pack, maxRecordBytes: 300 } } } });
    const { response, summary } = await post(h, jsonBytes(jsonRequest([span()])), {
      'content-type': JSON_TYPE,
    });
    expect(response.statusCode).toBe(200);
    expect(exportResponse(response).partialSuccess).toMatchObject({ rejectedSpans: '1' });
    expect(exportResponse(response).partialSuccess?.errorMessage).toContain(
      'does not fit in one stream record',
    );
    expect(summary).toMatchObject({
      eventsAccepted: 0,
      eventsRejected: 1,
      eventsNotAcceptedByCode: { event_too_large: 1 },
    });
    expect(h.written).toHaveLength(0);
  });

  it('refuses more spans than a request may carry with 413, naming the exporter setting', async () => {
    const h = harness({
      deps: {
        limits: {
          ...harness().deps.limits,
          body: { ...harness().deps.limits.body, maxEvents: 1 },
        },
      },
    });
    const second = span({ spanId: 'cccccccccccccccc' });
    const { response } = await post(h, jsonBytes(jsonRequest([span(), second])), {
      'content-type': JSON_TYPE,
    });
    expect(response.statusCode).toBe(413);
    expect(status(response).message).toContain('maxExportBatchSize');
  });

  it.each([
    ['throttled', 429, 'retry-after', '1'],
    ['unavailable', 503, 'retry-after', '5'],
  ] as const)(
    'answers %s with %i and Retry-After: the only answers an exporter retries',
    async (code, statusCode, header, seconds) => {
      const put: PutRecords = async (records) =>
        records.map(() => ({ ok: false, code, message: 'stream says no' }));
      const h = harness({ put });
      const { response, summary } = await post(h, protobufBytes(jsonRequest([span()])), {
        'content-type': PROTOBUF,
      });
      expect(response.statusCode).toBe(statusCode);
      expect(response.headers[header]).toBe(seconds);
      expect(status(response).code).toBe(statusCode === 429 ? 8 : 14);
      expect(status(response).message).not.toContain('stream says no');
      expect(summary).toMatchObject({ eventsRetryable: 1, streamError: 'stream says no' });
    },
  );

  it('names a resend as the same request, so that the loader loads its spans once', async () => {
    const h = harness();
    const body = protobufBytes(jsonRequest([span()]));
    await post(h, gzipSync(body), { 'content-type': PROTOBUF, 'content-encoding': 'gzip' });
    await post(h, body, { 'content-type': PROTOBUF });
    const [first, second] = h.written;
    expect(first?.partitionKey).toBeDefined();
    expect(second?.partitionKey).toBe(first?.partitionKey);
  });

  it('prices a span from the deployment’s model prices when it reports tokens and no cost', async () => {
    const h = harness({
      deps: { modelPrices: { 'house-model': { inputUsdPerMTok: 10, outputUsdPerMTok: 20 } } },
    });
    const attrs = {
      'gen_ai.request.model': 'house-model',
      'gen_ai.usage.input_tokens': 1_000_000,
      'gen_ai.usage.output_tokens': 500_000,
    };
    await post(h, jsonBytes(jsonRequest([span({}, attrs)])), { 'content-type': JSON_TYPE });
    expect(h.streamedEvents()[0]).toMatchObject({ model: 'house-model', cost_cents: 2_000 });
  });

  it('allows POST only, and says where a trace is read', async () => {
    const h = harness();
    const { response } = await h.send({ method: 'GET', path: '/v1/traces', headers: {} });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(response.body).toContain('GET /v1/traces/{trace_id}');
  });
});
