import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeJsonRequest,
  decodeProtobufRequest,
  decodeTraceRequest,
  OtlpDecodeError,
} from '../../../../functions/shared/otlp/decode.js';
import {
  END_NS,
  type Json,
  jsonBytes,
  jsonRequest,
  jsonSpan,
  protobufBytes,
  SPAN_ID,
  START_NS,
  TRACE_ID,
} from './otlp-fixtures.js';

const LIMIT = { maxDecodedBytes: 1 << 20 };

const rich = jsonRequest(
  [
    jsonSpan(
      {
        traceState: 'vendor=1',
        flags: 257,
        droppedAttributesCount: 2,
        events: [
          {
            timeUnixNano: START_NS,
            name: 'exception',
            attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }],
          },
        ],
        links: [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: [] }],
        status: { code: 2, message: 'failed' },
      },
      {
        s: 'text',
        b: true,
        i: 42,
        big: 9223372036854775807n,
        d: 0.5,
        list: ['a', 1, false],
        map: { 'k.1': 'v' },
      },
    ),
  ],
  { 'service.name': 'checkout', 'host.cores': 8 },
);
function firstSpan(request: ReturnType<typeof decodeJsonRequest>) {
  const span = request.resourceSpans[0]?.scopeSpans[0]?.spans[0];
  if (!span) throw new Error('no span');
  return span;
}

function decodeError(run: () => unknown): OtlpDecodeError {
  try {
    run();
  } catch (error) {
    if (error instanceof OtlpDecodeError) return error;
    throw error;
  }
  throw new Error('decoded without an error');
}

describe('OTLP decoding', () => {
  it('reads the same request from protobuf and from OTLP JSON', () => {
    const fromJson = decodeJsonRequest(jsonBytes(rich));
    const fromProtobuf = decodeProtobufRequest(protobufBytes(rich));
    expect(fromJson).toEqual(fromProtobuf);
    const span = firstSpan(fromJson);
    expect(Buffer.from(span.traceId).toString('hex')).toBe(TRACE_ID);
    expect(Buffer.from(span.spanId).toString('hex')).toBe(SPAN_ID);
    // fixed64 nanoseconds keep every digit (no float rounding).
    expect(span.startTimeUnixNano).toBe(START_NS);
    expect(span.endTimeUnixNano).toBe(END_NS);
    expect(span.status).toEqual({ code: 2, message: 'failed' });
    expect(span.flags).toBe(257);
    expect(span.attributes.find((a) => a.key === 'big')?.value?.intValue).toBe('9223372036854775807');
    expect(span.events[0]?.name).toBe('exception');
    expect(Buffer.from(span.links[0]?.spanId ?? []).toString('hex')).toBe(SPAN_ID);
  });

  it('reads gzip bodies and either content type, with parameters', () => {
    const json = decodeTraceRequest(gzipSync(jsonBytes(rich)), {
      contentType: 'application/json; charset=utf-8',
      contentEncoding: 'gzip',
      ...LIMIT,
    });
    const protobuf = decodeTraceRequest(protobufBytes(rich), {
      contentType: 'application/x-protobuf',
      ...LIMIT,
    });
    expect(json.encoding).toBe('json');
    expect(protobuf.encoding).toBe('protobuf');
    expect(json.request).toEqual(protobuf.request);
  });

  it('accepts 64-bit integers as numbers, ints as strings, null as the default and ignores unknown fields', () => {
    const request = decodeJsonRequest(
      jsonBytes(
        jsonRequest([
          jsonSpan({
            startTimeUnixNano: 1769860800123000000,
            droppedAttributesCount: '3',
            status: null,
            futureField: { anything: [1, 2] },
            // The original proto names are not OTLP JSON keys: unknown, so ignored.
            dropped_events_count: 9,
          }),
        ]),
      ),
    );
    const span = firstSpan(request);
    // A JSON number past 2^53 is a double once parsed: the nearest one is kept (ns, not ms, apart).
    expect(span.startTimeUnixNano).toBe('1769860800123000064');
    expect(span.droppedAttributesCount).toBe(3);
    expect(span.droppedEventsCount).toBe(0);
    expect(span.status).toBeNull();
  });

  it('accepts NaN and infinities as a double, and base64 bytes values', () => {
    const request = decodeJsonRequest(
      jsonBytes(
        jsonRequest([
          jsonSpan({
            attributes: [
              { key: 'nan', value: { doubleValue: 'NaN' } },
              { key: 'inf', value: { doubleValue: '-Infinity' } },
              { key: 'raw', value: { bytesValue: 'AQID' } },
            ],
          }),
        ]),
      ),
    );
    const [nan, inf, raw] = firstSpan(request).attributes;
    expect(nan?.value?.doubleValue).toBeNaN();
    expect(inf?.value?.doubleValue).toBe(Number.NEGATIVE_INFINITY);
    expect([...(raw?.value?.bytesValue ?? [])]).toEqual([1, 2, 3]);
  });

  it.each([
    [
      'a base64 trace id',
      { traceId: 'W47/95gDgQPSabYzgT/GDA==' },
      'resourceSpans[0].scopeSpans[0].spans[0].traceId: must be a hex string',
    ],
    [
      'an odd-length hex span id',
      { spanId: 'abc' },
      'resourceSpans[0].scopeSpans[0].spans[0].spanId: must be a hex string',
    ],
    [
      'a kind given by name',
      { kind: 'SPAN_KIND_CLIENT' },
      'spans[0].kind: must be the integer value of SpanKind, not its name: OTLP JSON writes enums as integers (SPAN_KIND_CLIENT is 3)',
    ],
    ['a fractional kind', { kind: 1.5 }, 'spans[0].kind: must be an integer (SpanKind), got number 1.5'],
    ['a name that is a number', { name: 7 }, 'spans[0].name: must be a string, got number 7'],
    [
      'a time that is not an integer',
      { startTimeUnixNano: '12.5' },
      'spans[0].startTimeUnixNano: must be an integer (fixed64) as a number or a decimal string, got the string "12.5"',
    ],
    [
      'a negative fixed64',
      { endTimeUnixNano: '-1' },
      "spans[0].endTimeUnixNano: must be within fixed64's range 0..18446744073709551615, got -1",
    ],
    [
      'attributes that are an object',
      { attributes: { a: 1 } },
      'spans[0].attributes: must be an array, got an object',
    ],
    [
      'an attribute value with two members',
      { attributes: [{ key: 'a', value: { stringValue: 'x', intValue: 1 } }] },
      'spans[0].attributes[0].value: sets stringValue and intValue: at most one of them may be set',
    ],
    [
      'a status that is a string',
      { status: 'ERROR' },
      'spans[0].status: must be a JSON object, got the string "ERROR"',
    ],
    [
      'a uint32 out of range',
      { droppedLinksCount: 4294967296 },
      "spans[0].droppedLinksCount: must be within uint32's range 0..4294967295, got 4294967296",
    ],
  ])('rejects %s, naming the field', (_, overrides, message) => {
    const error = decodeError(() =>
      decodeJsonRequest(jsonBytes(jsonRequest([jsonSpan(overrides as Record<string, Json>)]))),
    );
    expect(error.message).toContain(message);
    expect(error.status).toBe(400);
  });

  it('rejects JSON that is not an object, not JSON, or not UTF-8', () => {
    expect(decodeError(() => decodeJsonRequest(jsonBytes([1]))).message).toBe(
      'must be a JSON object, got an array',
    );
    expect(decodeError(() => decodeJsonRequest(jsonBytes({ resourceSpans: {} }))).message).toBe(
      'resourceSpans: must be an array, got an object',
    );
    expect(decodeError(() => decodeJsonRequest(Buffer.from('{"resourceSpans":['))).message).toMatch(
      /^the body is not JSON: /,
    );
    expect(decodeError(() => decodeJsonRequest(Buffer.from([0x7b, 0xff, 0x7d]))).message).toBe(
      'the body is not UTF-8 text',
    );
  });

  it('rejects a truncated protobuf body and a wrong wire type', () => {
    const bytes = protobufBytes(rich);
    const truncated = decodeError(() => decodeProtobufRequest(bytes.subarray(0, bytes.length - 5)));
    expect(truncated.message).toMatch(
      /^the body is not a protobuf ExportTraceServiceRequest: it ends in the middle of a field \(index out of range/,
    );
    // Field 1 with wire type 7, which does not exist.
    const wire = decodeError(() => decodeProtobufRequest(Uint8Array.from([0x0f, 0x00])));
    expect(wire.message).toMatch(
      /^the body is not a protobuf ExportTraceServiceRequest: invalid wire type 7/,
    );
  });

  it('rejects attribute values nested past the limit, however deep, in either encoding', () => {
    const nested = (levels: number): Json => {
      let value: Json = { stringValue: 'leaf' };
      for (let i = 0; i < levels; i++) value = { arrayValue: { values: [value] } };
      return value;
    };
    const at = (levels: number) =>
      jsonRequest([jsonSpan({ attributes: [{ key: 'deep', value: nested(levels) }] })]);
    const path = `resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value${'.arrayValue.values[0]'.repeat(32)}`;
    expect(decodeError(() => decodeJsonRequest(jsonBytes(at(40)))).message).toBe(
      `${path}: is nested more than 32 levels deep`,
    );
    expect(decodeError(() => decodeProtobufRequest(protobufBytes(at(40)))).message).toBe(
      `${path}: is nested more than 32 levels deep`,
    );
    expect(decodeJsonRequest(jsonBytes(at(31))).resourceSpans).toHaveLength(1);
    // Past the call stack: still a decode error, not a crash.
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(50_000)}${']}}'.repeat(50_000)}}]}]}]}]}`;
    expect(decodeError(() => decodeJsonRequest(Buffer.from(text)))).toBeInstanceOf(OtlpDecodeError);
    // Protobuf: 3,000 levels of ArrayValue in AnyValue, written by hand (each level a tag and a length).
    let bytes = Buffer.from([0x0a, 0x00]); // AnyValue{string_value: ""}
    for (let i = 0; i < 3_000; i++) {
      const array = Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]); // ArrayValue{values: [..]}
      bytes = Buffer.concat([Buffer.from([0x2a]), varint(array.length), array]); // AnyValue{array_value: ..}
    }
    expect(decodeError(() => decodeProtobufRequest(wrapAnyValue(bytes)))).toBeInstanceOf(OtlpDecodeError);
  });

  it('keeps an enum number the definitions do not name (proto3 enums are open) for the mapping to judge', () => {
    const json = jsonRequest([jsonSpan({ kind: 9 })]);
    expect(firstSpan(decodeJsonRequest(jsonBytes(json))).kind).toBe(9);
    expect(firstSpan(decodeProtobufRequest(protobufBytes(json))).kind).toBe(9);
  });

  it('fails with 415 on another content type or encoding and 413 past the size limit', () => {
    const body = jsonBytes(rich);
    expect(decodeError(() => decodeTraceRequest(body, { contentType: 'text/plain', ...LIMIT })).status).toBe(
      415,
    );
    expect(
      decodeError(() =>
        decodeTraceRequest(body, { contentType: 'application/json', contentEncoding: 'br', ...LIMIT }),
      ).status,
    ).toBe(415);
    const big = decodeError(() =>
      decodeTraceRequest(gzipSync(body), {
        contentType: 'application/json',
        contentEncoding: 'gzip',
        maxDecodedBytes: 100,
      }),
    );
    expect(big.status).toBe(413);
    expect(
      decodeError(() => decodeTraceRequest(body, { contentType: 'application/json', maxDecodedBytes: 100 }))
        .status,
    ).toBe(413);
    expect(
      decodeError(() =>
        decodeTraceRequest(body, { contentType: 'application/json', contentEncoding: 'gzip', ...LIMIT }),
      ).message,
    ).toMatch(/^the body is not valid gzip/);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** ExportTraceServiceRequest > ResourceSpans > ScopeSpans > Span > KeyValue{key "k"} holding `anyValue`. */
function wrapAnyValue(anyValue: Buffer): Uint8Array {
  const field = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), varint(body.length), body]);
  const keyValue = Buffer.concat([field(0x0a, Buffer.from('k')), field(0x12, anyValue)]);
  const span = field(0x4a, keyValue); // Span.attributes = 9
  const scopeSpans = field(0x12, span); // ScopeSpans.spans = 2
  const resourceSpans = field(0x12, scopeSpans); // ResourceSpans.scope_spans = 2
  return field(0x0a, resourceSpans); // ExportTraceServiceRequest.resource_spans = 1
}
