import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalLine, checkEvent, EVENT_LIMITS } from '../../../../functions/shared/contract/event.js';
import { tracesToEvents } from '../../../../functions/shared/otlp/core.js';
import {
  decodeJsonRequest,
  decodeProtobufRequest,
  forEachProtobufSpan,
  readProtobufExport,
} from '../../../../functions/shared/otlp/decode.js';
import { OTLP_TYPES } from '../../../../functions/shared/otlp/proto-root.js';
import { type Json, jsonBytes, jsonSpan, protobufBytes } from './otlp-fixtures.js';

const hexId = (bytes: number) =>
  fc
    .uint8Array({ minLength: bytes, maxLength: bytes })
    .filter((b) => b.some((x) => x !== 0))
    .map((b) => Buffer.from(b).toString('hex'));

const KEYS = [
  'service.name',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'llm.model_name',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.prompt.0.content',
  'gen_ai.prompt.1.role',
  'gen_ai.completion.0.content',
  'llm.input_messages.0.message.content',
  'llm.output_messages.0.message.role',
  'input.value',
  'output.value',
  'session.id',
  'user.id',
  'tag.tags',
  'db.system',
  'db.system.name',
  'a.b.c.d.e.f',
  'x..y',
  '.',
  '__proto__',
  'constructor',
];

type Text = (maxLength: number) => fc.Arbitrary<string>;
/** Any string, lone surrogates included. */
const anyText: Text = (maxLength) => fc.string({ unit: 'binary', maxLength });
const asciiText: Text = (maxLength) => fc.string({ maxLength });

function spanOf(text: Text): fc.Arbitrary<Json> {
  const anyValue: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ stringValue: text(60) }),
      fc.record({ boolValue: fc.boolean() }),
      fc.record({ intValue: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) }),
      fc.record({ doubleValue: fc.oneof(fc.double().map((d) => (Number.isFinite(d) ? d + 0 : String(d)))) }),
      fc.record({
        bytesValue: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString('base64')),
      }),
      fc.constant({}),
      fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
      fc.record({
        kvlistValue: fc.record({
          values: fc.array(
            fc.record({ key: fc.oneof(fc.constantFrom(...KEYS), text(10)), value: tie('value') }),
            {
              maxLength: 3,
            },
          ),
        }),
      }),
    ),
  })).value;

  const attributes = fc.array(
    fc.record({ key: fc.oneof(fc.constantFrom(...KEYS), text(20)), value: anyValue }),
    { maxLength: 12 },
  );

  const tokenAttributes = fc
    .record(
      {
        input: fc.integer({ min: 0, max: 10_000_000 }),
        output: fc.integer({ min: 0, max: 10_000_000 }),
        total: fc.integer({ min: 0, max: 50_000_000 }),
        costUsd: fc.double({ min: 0, max: 1_000_000, noNaN: true }),
      },
      { requiredKeys: [] },
    )
    .map(({ input, output, total, costUsd }) => [
      ...(costUsd === undefined ? [] : [{ key: 'llm.cost.total', value: { doubleValue: costUsd } }]),
      ...(input === undefined
        ? []
        : [{ key: 'gen_ai.usage.input_tokens', value: { intValue: String(input) } }]),
      ...(output === undefined
        ? []
        : [{ key: 'llm.token_count.completion', value: { intValue: String(output) } }]),
      ...(total === undefined ? [] : [{ key: 'llm.usage.total_tokens', value: { intValue: String(total) } }]),
    ]);

  const MIN_START_NS = BigInt(EVENT_LIMITS.timestampMinMs) * 1_000_000n;

  const span = fc
    .record({
      traceId: hexId(16),
      spanId: hexId(8),
      parentSpanId: fc.oneof(fc.constant(''), hexId(8)),
      name: text(300),
      kind: fc.integer({ min: 0, max: 5 }),
      start: fc.bigInt({ min: MIN_START_NS, max: 4_000_000_000_000_000_000n }),
      durationNs: fc.bigInt({ min: 0n, max: BigInt(EVENT_LIMITS.latencyMsMax) * 1_000_000n }),
      attributes,
      tokens: tokenAttributes,
      events: fc.array(
        fc.record({
          name: fc.oneof(fc.constantFrom('exception', 'gen_ai.choice', 'gen_ai.user.message'), text(20)),
          timeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
          attributes,
        }),
        { maxLength: 3 },
      ),
      status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: text(40) }),
    })
    .map(
      ({ start, durationNs, tokens, ...s }) =>
        ({
          ...s,
          attributes: [...s.attributes, ...tokens],
          startTimeUnixNano: String(start),
          endTimeUnixNano: String(start + durationNs),
        }) as Json,
    );

  return span;
}

const request = (spans: Json[]) => ({
  resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'p' }, spans }] }],
});

describe('OTLP spans: properties', () => {
  it('maps any valid span to an event that passes the contract, metadata within its limits', () => {
    fc.assert(
      fc.property(spanOf(anyText), (s) => {
        const result = tracesToEvents(decodeJsonRequest(jsonBytes(request([s]))), { projectId: 'p1' });
        expect(result.rejected).toEqual([]);
        const event = result.events[0];
        if (!event) throw new Error('no event');
        expect(Buffer.byteLength(JSON.stringify(event.metadata))).toBeLessThanOrEqual(
          EVENT_LIMITS.metadataMaxBytes,
        );
        // What is forwarded reads back as the same event.
        const again = checkEvent(JSON.parse(canonicalLine(event)), 'p1');
        expect(again.ok && again.event).toEqual(event);
      }),
      { numRuns: 150 },
    );
  });

  it('reads any request alike from OTLP JSON and from protobuf', () => {
    // ASCII text: how JSON and UTF-8 carry lone surrogates differs, which is not the decoders' doing.
    const asciiSpan = spanOf(asciiText);
    fc.assert(
      fc.property(fc.array(asciiSpan, { maxLength: 3 }), (spans) => {
        const json = request(spans);
        expect(decodeJsonRequest(jsonBytes(json))).toEqual(decodeProtobufRequest(protobufBytes(json)));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps metadata of large attributes within the byte limit, leaving out the largest first', () => {
    const large = fc.array(
      fc.record({
        key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 30 })),
        value: fc.record({ stringValue: fc.string({ minLength: 2_500, maxLength: 4_000 }) }),
      }),
      { minLength: 8, maxLength: 20 },
    );
    fc.assert(
      fc.property(spanOf(asciiText), large, (s, attributes) => {
        const withLarge = { ...(s as Record<string, Json>), attributes };
        const result = tracesToEvents(decodeJsonRequest(jsonBytes(request([withLarge]))), {
          projectId: 'p1',
        });
        expect(result.rejected).toEqual([]);
        const metadata = result.events[0]?.metadata ?? {};
        expect(Buffer.byteLength(JSON.stringify(metadata))).toBeLessThanOrEqual(
          EVENT_LIMITS.metadataMaxBytes,
        );
        expect(metadata).toHaveProperty('span.kind');
      }),
      { numRuns: 40 },
    );
  });

  it('decodes protobuf as the library’s generic toObject does, for every field the mapping reads', () => {
    const type = OTLP_TYPES.ExportTraceServiceRequest;
    // Fields the mapping does not read, which the own decoding leaves out.
    const unread = new Set(['entityRefs', 'keyStrindex']);
    const strip = (value: unknown): void => {
      if (Array.isArray(value)) for (const item of value) strip(item);
      else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
        for (const [key, child] of Object.entries(value)) {
          if (unread.has(key)) delete (value as Record<string, unknown>)[key];
          else strip(child);
        }
      }
    };
    const generic = (bytes: Uint8Array) => {
      const plain = type.toObject(type.decode(bytes), {
        longs: String,
        enums: Number,
        defaults: true,
        arrays: true,
      });
      strip(plain);
      return plain;
    };
    fc.assert(
      fc.property(fc.array(spanOf(anyText), { maxLength: 3 }), (spans) => {
        const bytes = protobufBytes(request(spans));
        expect(decodeProtobufRequest(bytes)).toEqual(generic(bytes));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the last member of an AnyValue the wire sets twice, as protobuf says', () => {
    const bytes = Buffer.from(protobufBytes(request([jsonSpan({}, { 'x.y': 'PLACEHOLDER' })])));
    // AnyValue{string_value: "PLACEHOLDER"} (13 bytes) becomes, in as many bytes,
    // AnyValue{string_value: "a", int_value: 7} with 7 as a 9-byte varint.
    const sent = Buffer.from([0x0a, 0x0b, ...Buffer.from('PLACEHOLDER')]);
    const twice = Buffer.from([0x0a, 0x01, 0x61, 0x18, 0x87, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
    const at = bytes.indexOf(sent);
    expect(at).toBeGreaterThan(0);
    twice.copy(bytes, at);
    const span = decodeProtobufRequest(bytes).resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(span?.attributes.find((a) => a.key === 'x.y')?.value).toEqual({ intValue: '7' });
  });

  it('visits a protobuf request span by span exactly as the whole decode reads it', () => {
    fc.assert(
      fc.property(fc.array(spanOf(anyText), { maxLength: 4 }), (spans) => {
        const bytes = protobufBytes(request(spans));
        const whole = decodeProtobufRequest(bytes).resourceSpans.flatMap((rs, i) =>
          rs.scopeSpans.flatMap((ss, j) =>
            ss.spans.map((span, k) => ({ span, at: [i, j, k], resource: rs.resource, scope: ss.scope })),
          ),
        );
        const visited: unknown[] = [];
        const envelope = readProtobufExport(bytes);
        forEachProtobufSpan(envelope, (span, place) => visited.push({ span, ...place }));
        expect(visited).toEqual(whole);
        expect(envelope.spanCount).toBe(whole.length);
      }),
      { numRuns: 60 },
    );
  });

  it('gives spans their resource and scope when the wire sends those after the spans', () => {
    const tag = (field: number, bytes: Uint8Array) =>
      Buffer.concat([Buffer.from([(field << 3) | 2]), varint(bytes.length), bytes]);
    const varint = (n: number) => {
      const out: number[] = [];
      let v = n;
      while (v > 127) {
        out.push((v & 127) | 128);
        v >>>= 7;
      }
      out.push(v);
      return Buffer.from(out);
    };
    const encode = (type: keyof typeof OTLP_TYPES, json: unknown) => {
      const t = OTLP_TYPES[type] as typeof OTLP_TYPES.Span;
      return t.encode(t.fromObject(json as Record<string, unknown>)).finish();
    };
    const span = encode('Span', {
      traceId: Buffer.alloc(16, 1),
      spanId: Buffer.alloc(8, 2),
      name: 'late',
      startTimeUnixNano: '1769860800000000000',
      endTimeUnixNano: '1769860801000000000',
    });
    const scope = encode('Scope', { name: 'lib', version: '1.0' });
    const resource = encode('Resource', {
      attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }],
    });
    const scopeSpans = Buffer.concat([tag(2, span), tag(1, scope)]);
    const resourceSpans = Buffer.concat([tag(2, scopeSpans), tag(1, resource)]);
    const bytes = tag(1, resourceSpans);
    const visited: { resource: unknown; scope: unknown; name: string }[] = [];
    forEachProtobufSpan(readProtobufExport(bytes), (s, place) =>
      visited.push({ resource: place.resource, scope: place.scope, name: s.name }),
    );
    expect(visited).toEqual([
      {
        name: 'late',
        resource: {
          attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }],
          droppedAttributesCount: 0,
        },
        scope: { name: 'lib', version: '1.0', attributes: [], droppedAttributesCount: 0 },
      },
    ]);
    expect(decodeProtobufRequest(bytes).resourceSpans[0]?.resource).toEqual(visited[0]?.resource);
  });

  it('refuses a request cut in the middle of a span, naming the body', () => {
    const bytes = protobufBytes(request([jsonSpan({}, { a: 'b' })]));
    const cut = bytes.subarray(0, bytes.length - 5);
    expect(() => readProtobufExport(cut)).toThrow(/not a protobuf ExportTraceServiceRequest/);
    expect(() => readProtobufExport(cut)).toThrow(/ends in the middle of a field/);
    // An envelope that is whole around a span that is not: refused when the span is decoded.
    const field = (n: number, bytes: number[]) => [(n << 3) | 2, bytes.length, ...bytes];
    const brokenSpan = Buffer.from(field(1, field(2, field(2, [0x0a, 0x05, 0x01]))));
    const envelope = readProtobufExport(brokenSpan);
    expect(envelope.spanCount).toBe(1);
    expect(() => forEachProtobufSpan(envelope, () => {})).toThrow(/not a protobuf ExportTraceServiceRequest/);
  });
});
