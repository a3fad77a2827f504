import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type {
  EventErrorCode,
  IngestResult,
  RequestErrorBody,
} from '../../../functions/shared/contract/ingest-api.js';
import { gzip, harness, jsonBody, NOW, ndjson } from '../../helpers/validator-harness.js';

/**
 * Every bad request and bad event EvalForge must answer clearly. Request-level problems get one
 * status and a reason; event-level problems reject that event alone, with the valid events beside
 * it accepted and on the stream.
 */

let counter = 0;
function valid(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    trace_id: randomBytes(16).toString('hex'),
    span_id: randomBytes(8).toString('hex'),
    timestamp: new Date(NOW - 1_000).toISOString(),
    model: 'gpt-4o-mini',
    latency_ms: 100 + counter,
    prompt: 'What is ClickHouse?',
    response: 'A column-oriented database.',
    ...overrides,
  };
}

const NDJSON = { 'content-type': 'application/x-ndjson' };

interface RequestCase {
  name: string;
  body: () => Buffer | string;
  headers?: Record<string, string | undefined>;
  method?: string;
  path?: string;
  status: number;
  code: string;
  reason: RegExp;
}

const requestCases: RequestCase[] = [
  {
    name: 'malformed JSON',
    body: () => '{"events":[{',
    status: 400,
    code: 'invalid_json',
    reason: /not valid JSON/,
  },
  {
    name: 'a JSON array instead of {"events":[...]}',
    body: () => JSON.stringify([valid()]),
    status: 400,
    code: 'invalid_body',
    reason: /\{"events":\[\.\.\.\]\}/,
  },
  {
    name: '"events" that is not an array',
    body: () => '{"events":{"a":1}}',
    status: 400,
    code: 'invalid_body',
    reason: /must be a JSON object/,
  },
  { name: 'no events', body: () => '{"events":[]}', status: 400, code: 'no_events', reason: /empty/ },
  { name: 'an empty body', body: () => '', status: 400, code: 'empty_body', reason: /empty/ },
  {
    name: 'a body that claims gzip but is not',
    body: () => jsonBody([valid()]),
    headers: { 'content-encoding': 'gzip' },
    status: 400,
    code: 'invalid_gzip',
    reason: /not valid gzip/,
  },
  {
    name: 'a gzip bomb (200 MB of zeros in ~200 KB)',
    body: () => gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 }),
    headers: { 'content-encoding': 'gzip' },
    status: 413,
    code: 'decompressed_too_large',
    reason: /inflates to more than 16777216 bytes/,
  },
  {
    name: 'a body over 1 MB',
    body: () => jsonBody([valid({ prompt: 'x'.repeat(1_000_001) })]),
    status: 413,
    code: 'body_too_large',
    reason: /1 MB, the load balancer's limit/,
  },
  {
    name: 'an unsupported Content-Type',
    body: () => jsonBody([valid()]),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
    reason: /application\/x-ndjson/,
  },
  {
    name: 'an unsupported Content-Encoding',
    body: () => jsonBody([valid()]),
    headers: { 'content-encoding': 'br' },
    status: 415,
    code: 'unsupported_encoding',
    reason: /use gzip/,
  },
  {
    name: 'invalid UTF-8 in a JSON body',
    body: () =>
      Buffer.concat([Buffer.from('{"events":[{"model":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]),
    status: 400,
    code: 'invalid_utf8',
    reason: /UTF-8/,
  },
  {
    name: 'no Authorization header',
    body: () => jsonBody([valid()]),
    headers: { authorization: undefined },
    status: 401,
    code: 'unauthorized',
    reason: /missing Authorization/,
  },
  {
    name: 'a Basic Authorization header',
    body: () => jsonBody([valid()]),
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
    status: 401,
    code: 'unauthorized',
    reason: /Bearer <api key>/,
  },
  {
    name: 'a malformed key',
    body: () => jsonBody([valid()]),
    headers: { authorization: 'Bearer sk-not-an-evalforge-key' },
    status: 401,
    code: 'unauthorized',
    reason: /malformed/,
  },
  {
    name: 'an unknown key',
    body: () => jsonBody([valid()]),
    headers: { authorization: `Bearer efk_0123456789abcdef_${'A'.repeat(43)}` },
    status: 401,
    code: 'unauthorized',
    reason: /not known/,
  },
  {
    name: 'more than 10,000 events',
    body: () => ndjson(Array.from({ length: 10_001 }, () => ({}))),
    headers: NDJSON,
    status: 413,
    code: 'too_many_events',
    reason: /10001 events; at most 10000/,
  },
  {
    name: 'NDJSON of which no line is JSON',
    body: () => '{"model":\nnot json\n',
    headers: NDJSON,
    status: 400,
    code: 'invalid_ndjson',
    reason: /line 1: line is not valid JSON/,
  },
  {
    name: 'an Idempotency-Key with a space in it',
    body: () => jsonBody([valid()]),
    headers: { 'idempotency-key': 'batch 1' },
    status: 400,
    code: 'invalid_idempotency_key',
    reason: /1-255 visible ASCII characters/,
  },
  {
    name: 'GET on /v1/events',
    body: () => '',
    method: 'GET',
    status: 405,
    code: 'method_not_allowed',
    reason: /use POST/,
  },
  {
    name: 'an unknown path',
    body: () => jsonBody([valid()]),
    path: '/v2/events',
    status: 404,
    code: 'not_found',
    reason: /POST \/v1\/events/,
  },
];

interface EventCase {
  name: string;
  /** The bad event, sent between two valid ones (index 1). */
  bad: () => unknown;
  code: EventErrorCode;
  reason: RegExp;
}

const eventCases: EventCase[] = [
  {
    name: 'an event that is a number',
    bad: () => 42,
    code: 'invalid_event',
    reason: /must be a JSON object/,
  },
  {
    name: 'an event that is an array',
    bad: () => [valid()],
    code: 'invalid_event',
    reason: /must be a JSON object/,
  },
  {
    name: 'a missing model',
    bad: () => ({ ...valid(), model: undefined }),
    code: 'invalid_event',
    reason: /model: is required/,
  },
  {
    name: 'a missing trace_id',
    bad: () => ({ ...valid(), trace_id: undefined }),
    code: 'invalid_event',
    reason: /trace_id: is required/,
  },
  {
    name: 'latency_ms as a string',
    bad: () => valid({ latency_ms: '120' }),
    code: 'invalid_event',
    reason: /latency_ms: must be a number/,
  },
  {
    name: 'negative input_tokens',
    bad: () => valid({ input_tokens: -1 }),
    code: 'invalid_event',
    reason: /input_tokens: must not be negative/,
  },
  {
    name: 'fractional output_tokens',
    bad: () => valid({ output_tokens: 1.5 }),
    code: 'invalid_event',
    reason: /output_tokens: must be a whole number/,
  },
  {
    name: 'tokens_used below input + output',
    bad: () => valid({ input_tokens: 10, output_tokens: 5, tokens_used: 12 }),
    code: 'invalid_event',
    reason: /tokens_used: must be at least input_tokens \+ output_tokens \(15\)/,
  },
  {
    name: 'a trace_id that is neither hex nor UUID',
    bad: () => valid({ trace_id: 'trace-123' }),
    code: 'invalid_event',
    reason: /trace_id: must be 32 hex characters \(W3C trace id\) or a UUID/,
  },
  {
    name: 'an all-zero span_id',
    bad: () => valid({ span_id: '0000000000000000' }),
    code: 'invalid_event',
    reason: /span_id: must not be all zeros/,
  },
  {
    name: 'a prompt over 262,144 characters',
    bad: () => valid({ prompt: 'p'.repeat(262_145) }),
    code: 'invalid_event',
    reason: /prompt: must be at most 262144 characters \(got 262145\)/,
  },
  {
    name: 'metadata nested 6 deep',
    bad: () => valid({ metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } }),
    code: 'invalid_event',
    reason: /metadata: must be nested at most 5 levels deep/,
  },
  {
    name: 'metadata over 16 KiB',
    bad: () => valid({ metadata: { blob: 'm'.repeat(17_000) } }),
    code: 'invalid_event',
    reason: /metadata: must be at most 16384 bytes as JSON/,
  },
  {
    name: 'metadata that is an array',
    bad: () => valid({ metadata: [1, 2] }),
    code: 'invalid_event',
    reason: /metadata: must be a JSON object/,
  },
  {
    name: 'a misspelt field',
    bad: () => ({ ...valid(), latency_ms: undefined, latency: 12 }),
    code: 'invalid_event',
    reason: /unknown field "latency" \(put free-form data in metadata\); latency_ms: is required/,
  },
  {
    name: "another project's id",
    bad: () => valid({ project_id: 'proj-b' }),
    code: 'project_mismatch',
    reason: /project_id "proj-b" is not the API key's project "proj-a"/,
  },
  {
    name: 'a timestamp an hour in the future',
    bad: () => valid({ timestamp: new Date(NOW + 3_600_000).toISOString() }),
    code: 'timestamp_out_of_range',
    reason: /more than 5 minutes ahead of the server clock/,
  },
  {
    name: 'a timestamp in the year 2300',
    bad: () => valid({ timestamp: '2300-01-01T00:00:00Z' }),
    code: 'timestamp_out_of_range',
    reason: /ahead of the server clock/,
  },
  {
    name: 'a timestamp two years old',
    bad: () => valid({ timestamp: new Date(NOW - 2 * 365 * 86_400_000).toISOString() }),
    code: 'timestamp_out_of_range',
    reason: /more than 365 days old/,
  },
  {
    name: 'a timestamp in epoch seconds',
    bad: () => valid({ timestamp: Math.floor(NOW / 1000) }),
    code: 'invalid_event',
    reason: /epoch seconds are not accepted/,
  },
  {
    name: 'a timestamp without a time zone',
    bad: () => valid({ timestamp: '2026-06-15T11:00:00' }),
    code: 'invalid_event',
    reason: /must be ISO-8601 with a time zone/,
  },
  {
    name: 'a timestamp on 30 February',
    bad: () => valid({ timestamp: '2026-02-30T11:00:00Z' }),
    code: 'invalid_event',
    reason: /must be ISO-8601 with a time zone/,
  },
  {
    name: 'an error_message with status ok',
    bad: () => valid({ error_message: 'boom' }),
    code: 'invalid_event',
    reason: /error_message: is set but status is not "error"/,
  },
  {
    name: 'an unknown status',
    bad: () => valid({ status: 'failed' }),
    code: 'invalid_event',
    reason: /status: must be "ok" or "error"/,
  },
  {
    name: 'more than 32 tags',
    bad: () => valid({ tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }),
    code: 'invalid_event',
    reason: /tags: must have at most 32 tags/,
  },
  {
    name: 'a tag over 64 characters',
    bad: () => valid({ tags: ['t'.repeat(65)] }),
    code: 'invalid_event',
    reason: /tags\[0\]: must be at most 64 characters/,
  },
  {
    name: 'a cost that is not finite',
    bad: () => valid({ cost_cents: 1e308 * 10 }),
    code: 'invalid_event',
    reason: /cost_cents:/,
  },
];

function expectRequestError(body: string, code: string, reason: RegExp): void {
  const parsed = JSON.parse(body) as RequestErrorBody;
  expect(parsed.error.code).toBe(code);
  expect(parsed.error.message).toMatch(reason);
}

describe('bad requests', () => {
  it.each(requestCases)('rejects $name with $status', async (c) => {
    const h = harness();
    const body = c.body();
    const headers: Record<string, string | undefined> = {
      authorization: `Bearer ${h.key}`,
      'content-type': 'application/json',
      ...c.headers,
    };
    const { response } = await h.send({
      method: c.method ?? 'POST',
      path: c.path ?? '/v1/events',
      headers,
      body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    });
    expect(response.statusCode).toBe(c.status);
    expectRequestError(response.body, c.code, c.reason);
    expect(h.written).toEqual([]);
  });

  it('rejects a revoked key, naming when it was revoked', async () => {
    const h = harness();
    const { response } = await h.post(jsonBody([valid()]), { authorization: `Bearer ${h.revokedKey}` });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expectRequestError(response.body, 'unauthorized', /was revoked at 2026-06-15T11:00:00.000Z/);
  });
});

describe.each([
  { format: 'JSON', encode: (events: unknown[]) => jsonBody(events), headers: {} },
  {
    format: 'gzip NDJSON',
    encode: (events: unknown[]) => gzip(ndjson(events)),
    headers: { ...NDJSON, 'content-encoding': 'gzip' },
  },
])('bad events in $format', ({ encode, headers }) => {
  it.each(eventCases)('rejects $name, accepting the valid events beside it', async (c) => {
    const h = harness();
    const events = [valid(), c.bad(), valid()];
    const { response } = await h.post(encode(events), headers);
    expect(response.statusCode).toBe(207);
    const result = JSON.parse(response.body) as IngestResult;
    expect(result.accepted).toBe(2);
    expect(result.rejected).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ index: 1, code: c.code, retryable: false });
    expect(result.errors[0]?.message).toMatch(c.reason);
    expect(h.streamedEvents().map((e) => e.span_id)).toEqual(
      [events[0], events[2]].map((e) => (e as { span_id: string }).span_id),
    );
  });
});

describe('bad lines in NDJSON', () => {
  it('rejects a malformed line alone, by its index among non-blank lines', async () => {
    const h = harness();
    const a = valid();
    const b = valid();
    const body = `${JSON.stringify(a)}\n\n{"model": "x",\n${JSON.stringify(b)}\n`;
    const { response } = await h.post(body, NDJSON);
    expect(response.statusCode).toBe(207);
    const result = JSON.parse(response.body) as IngestResult;
    expect(result.errors).toEqual([
      expect.objectContaining({
        index: 1,
        code: 'invalid_event',
        message: expect.stringMatching(/not valid JSON/),
      }),
    ]);
    expect(h.streamedEvents()).toEqual([a, b]);
  });

  it('rejects a line with invalid UTF-8 alone', async () => {
    const h = harness();
    const a = valid();
    const b = valid();
    const body = Buffer.concat([
      Buffer.from(`${JSON.stringify(a)}\n{"model":"`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`"}\n${JSON.stringify(b)}`),
    ]);
    const { response } = await h.post(gzip(body), { ...NDJSON, 'content-encoding': 'gzip' });
    expect(response.statusCode).toBe(207);
    const result = JSON.parse(response.body) as IngestResult;
    expect(result.errors).toEqual([
      expect.objectContaining({ index: 1, message: 'line is not valid UTF-8' }),
    ]);
    expect(h.streamedEvents()).toEqual([a, b]);
  });
});

describe('duplicates within one request', () => {
  it('rejects a repeated trace_id and span_id, naming the first', async () => {
    const h = harness();
    const a = valid();
    const { response } = await h.post(jsonBody([a, valid(), { ...a, latency_ms: 1 }]));
    const result = JSON.parse(response.body) as IngestResult;
    expect(response.statusCode).toBe(207);
    expect(result.errors).toEqual([
      {
        index: 2,
        code: 'duplicate_event',
        message: 'trace_id and span_id repeat those of event 0 in this request',
        retryable: false,
      },
    ]);
  });

  it('rejects the same ids written as UUID and as hex', async () => {
    const h = harness();
    const hex = randomBytes(16).toString('hex');
    const uuid =
      `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`.toUpperCase();
    const span = randomBytes(8).toString('hex');
    const { response } = await h.post(
      jsonBody([valid({ trace_id: hex, span_id: span }), valid({ trace_id: uuid, span_id: span })]),
    );
    expect((JSON.parse(response.body) as IngestResult).errors).toEqual([
      expect.objectContaining({ index: 1, code: 'duplicate_event' }),
    ]);
  });
});

it('answers 207 with every event listed when none is valid, and writes nothing', async () => {
  const h = harness();
  const { response } = await h.post(jsonBody([{}, { model: 'm' }]));
  expect(response.statusCode).toBe(207);
  const result = JSON.parse(response.body) as IngestResult;
  expect(result).toMatchObject({ accepted: 0, rejected: 2 });
  expect(result.errors.map((e) => e.index)).toEqual([0, 1]);
  expect(h.written).toEqual([]);
});
