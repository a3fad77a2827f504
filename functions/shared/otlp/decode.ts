import { isUtf8 } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs/light.js';
import type {
  ExportTraceServiceRequest,
  OtlpAnyValue,
  OtlpEncoding,
  OtlpInstrumentationScope,
  OtlpKeyValue,
  OtlpResource,
  OtlpSpan,
} from './otlp-types.js';
import { ANY_VALUE_SET, OTLP_TYPES } from './proto-root.js';

/**
 * Why a request body is not an `ExportTraceServiceRequest`: the whole request is refused (HTTP
 * 400, or 415 / 413 as `status` says). `path` names the field at fault in OTLP JSON terms
 * (`resourceSpans[0].scopeSpans[1].spans[3].kind`), empty when the body as a whole is at fault.
 */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly status: 400 | 413 | 415 = 400,
  ) {
    super(path ? `${path}: ${problem}` : problem);
  }
}

export interface DecodeOptions {
  /** The request's Content-Type; parameters such as `charset` are ignored. */
  readonly contentType: string | undefined;
  /** The request's Content-Encoding: `gzip` or none (`identity`). */
  readonly contentEncoding?: string | undefined;
  /** The largest body accepted after decompression, in bytes. */
  readonly maxDecodedBytes: number;
}

export interface DecodedTraceRequest {
  readonly encoding: OtlpEncoding;
  readonly request: ExportTraceServiceRequest;
  /** The body after decompression: what names the request (a resend compressed again is the same). */
  readonly decoded: Uint8Array;
}

/** The encoding a Content-Type names, or `undefined` when OTLP/HTTP has none for it. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

/** An OTLP/HTTP trace export body (gzip or not, protobuf or JSON) as a request, or `OtlpDecodeError`. */
export function decodeTraceRequest(body: Uint8Array, options: DecodeOptions): DecodedTraceRequest {
  const { encoding, decoded } = readTraceBody(body, options);
  const request = encoding === 'protobuf' ? decodeProtobufRequest(decoded) : decodeJsonRequest(decoded);
  return { encoding, request, decoded };
}

/**
 * A trace export body's encoding and its bytes after decompression, not yet decoded; or
 * `OtlpDecodeError` (415 for a Content-Type or Content-Encoding OTLP/HTTP does not have, 413
 * past the cap, 400 for gzip that is not).
 */
export function readTraceBody(
  body: Uint8Array,
  options: DecodeOptions,
): {
  readonly encoding: OtlpEncoding;
  readonly decoded: Uint8Array;
  /** The body came gzip: as sent, it can be forwarded as a stream record's export. */
  readonly gzip: boolean;
} {
  const encoding = otlpEncodingOf(options.contentType);
  if (encoding === undefined) {
    throw new OtlpDecodeError(
      '',
      `unsupported Content-Type ${JSON.stringify(options.contentType ?? '')}: OTLP/HTTP sends application/x-protobuf or application/json`,
      415,
    );
  }
  const decoded = decompress(body, options);
  return { encoding, decoded, gzip: decoded !== body };
}

function decompress(body: Uint8Array, options: DecodeOptions): Uint8Array {
  const coding = options.contentEncoding?.trim().toLowerCase() ?? '';
  if (coding === '' || coding === 'identity') {
    if (body.byteLength > options.maxDecodedBytes) throw tooLarge(options.maxDecodedBytes);
    return body;
  }
  if (coding !== 'gzip') {
    throw new OtlpDecodeError(
      '',
      `unsupported Content-Encoding ${JSON.stringify(options.contentEncoding)}: send gzip or none`,
      415,
    );
  }
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    inflated = gunzipSync(body, { maxOutputLength: options.maxDecodedBytes, info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge(options.maxDecodedBytes);
    throw new OtlpDecodeError('', `the body is not valid gzip: ${(error as Error).message}`);
  }
  // zlib stops at zero padding and ignores what follows: bytes never read must not be forwarded
  // as if they had been (the body becomes a stream record, and archived records follow it).
  if (inflated.engine.bytesWritten !== body.byteLength) {
    throw new OtlpDecodeError(
      '',
      `the body has ${body.byteLength - inflated.engine.bytesWritten} bytes after the end of its gzip data`,
    );
  }
  return inflated.buffer;
}

const tooLarge = (max: number) =>
  new OtlpDecodeError('', `the decompressed body is larger than ${max} bytes; send smaller batches`, 413);

/** A binary-encoded `ExportTraceServiceRequest`. */
export function decodeProtobufRequest(bytes: Uint8Array): ExportTraceServiceRequest {
  let message: protobuf.Message;
  try {
    message = OTLP_TYPES.ExportTraceServiceRequest.decode(bytes);
  } catch (error) {
    throw notProtobuf(error);
  }
  return plainRequest(message);
}

/** A message as protobufjs decodes it: untyped; `plainRequest` gives what it reads its types. */
// biome-ignore lint/suspicious/noExplicitAny: the one untyped name, read field by field below.
type Decoded = any;

/** How deep attribute values (lists and maps in lists and maps) may nest: deeper is refused. */
export const MAX_VALUE_DEPTH = 32;

/**
 * A decoded message as the plain objects of `otlp-types.ts`, in one walk that also refuses
 * values nested past MAX_VALUE_DEPTH before any recursive reader meets them: 64-bit integers as
 * decimal text, absent messages as null, absent scalars and lists as their defaults, an
 * AnyValue as the one field of its oneof that was sent. protobufjs's generic `toObject` did the
 * same with a second walk and a copy of every field: on a request of LLM spans, a third of the
 * decoding time.
 */
function plainRequest(message: protobuf.Message): ExportTraceServiceRequest {
  const m = message as Decoded;
  // Paths are written only for a value refused for its depth: they are closures until then.
  return {
    resourceSpans: (m.resourceSpans as Decoded[]).map((rs, i) => {
      const r = () => `resourceSpans[${i}]`;
      return {
        resource: plainResource(rs.resource, r),
        scopeSpans: (rs.scopeSpans as Decoded[]).map((ss, j) => {
          const sp = () => `${r()}.scopeSpans[${j}]`;
          return {
            scope: plainScope(ss.scope, sp),
            spans: (ss.spans as Decoded[]).map((span, k) => plainSpan(span, () => `${sp()}.spans[${k}]`)),
            schemaUrl: ss.schemaUrl,
          };
        }),
        schemaUrl: rs.schemaUrl,
      };
    }),
  };
}

function plainResource(resource: Decoded, path: () => string): OtlpResource | null {
  if (!resource) return null;
  return {
    attributes: keyValues(resource.attributes, () => `${path()}.resource.attributes`),
    droppedAttributesCount: resource.droppedAttributesCount,
  };
}

function plainScope(scope: Decoded, path: () => string): OtlpInstrumentationScope | null {
  if (!scope) return null;
  return {
    name: scope.name,
    version: scope.version,
    attributes: keyValues(scope.attributes, () => `${path()}.scope.attributes`),
    droppedAttributesCount: scope.droppedAttributesCount,
  };
}

/** Where a span sits in a protobuf request, and what it shares with its neighbours. */
export interface ProtobufSpanPlace {
  /** Indexes into `resourceSpans`, its `scopeSpans` and their `spans`. */
  readonly at: readonly [number, number, number];
  readonly resource: OtlpResource | null;
  readonly scope: OtlpInstrumentationScope | null;
}

/** Field numbers of the envelope, from the official definitions. */
const FIELD = {
  resourceSpans: OTLP_TYPES.ExportTraceServiceRequest.fields.resourceSpans?.id ?? 1,
  resource: OTLP_TYPES.ResourceSpans.fields.resource?.id ?? 1,
  scopeSpans: OTLP_TYPES.ResourceSpans.fields.scopeSpans?.id ?? 2,
  scope: OTLP_TYPES.ScopeSpans.fields.scope?.id ?? 1,
  spans: OTLP_TYPES.ScopeSpans.fields.spans?.id ?? 2,
} as const;
const LENGTH_DELIMITED = 2;

/**
 * The length-delimited fields numbered `field` in `bytes[start, end)`, each as its `[start, end)`,
 * in wire order; other fields are skipped. Throws protobufjs's RangeError past the end.
 */
function fieldsOf(bytes: Uint8Array, start: number, end: number, field: number): [number, number][] {
  const reader = protobuf.Reader.create(bytes.subarray(0, end));
  reader.pos = start;
  const found: [number, number][] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === field && (tag & 7) === LENGTH_DELIMITED) {
      const length = reader.uint32();
      const from = reader.pos;
      reader.skip(length);
      found.push([from, from + length]);
    } else {
      reader.skipType(tag & 7);
    }
  }
  return found;
}

/** Where one `ScopeSpans` of a binary request is: its place, its resource's, scope's and spans' bytes. */
interface ScopeSpansAt {
  /** Indexes into `resourceSpans` and its `scopeSpans`. */
  readonly at: readonly [number, number];
  /** The last `resource` of its `ResourceSpans`, and the last `scope` of its own. */
  readonly resourceAt: readonly [number, number] | undefined;
  readonly scopeAt: readonly [number, number] | undefined;
  readonly spans: readonly [number, number][];
}

/** A binary `ExportTraceServiceRequest` whose envelope was walked once: its spans counted, none decoded. */
export interface ProtobufExport {
  readonly bytes: Uint8Array;
  readonly spanCount: number;
  readonly scopes: readonly ScopeSpansAt[];
}

/**
 * Walks a binary `ExportTraceServiceRequest`'s envelope (its `resourceSpans`, their `resource` and
 * `scopeSpans`, theirs `scope` and `spans`) with protobufjs's `Reader`, decoding none of them: what
 * the request's span count is judged by before any span is mapped, and what `forEachProtobufSpan`
 * decodes from. A resource or scope sent after its spans is still theirs; one sent twice, the
 * last counts, as in a whole decode. `OtlpDecodeError` when the envelope is not one.
 */
export function readProtobufExport(bytes: Uint8Array): ProtobufExport {
  const scopes: ScopeSpansAt[] = [];
  let spanCount = 0;
  try {
    fieldsOf(bytes, 0, bytes.length, FIELD.resourceSpans).forEach(([rsStart, rsEnd], i) => {
      const resourceAt = fieldsOf(bytes, rsStart, rsEnd, FIELD.resource).at(-1);
      fieldsOf(bytes, rsStart, rsEnd, FIELD.scopeSpans).forEach(([ssStart, ssEnd], j) => {
        const spans = fieldsOf(bytes, ssStart, ssEnd, FIELD.spans);
        spanCount += spans.length;
        scopes.push({
          at: [i, j],
          resourceAt,
          scopeAt: fieldsOf(bytes, ssStart, ssEnd, FIELD.scope).at(-1),
          spans,
        });
      });
    });
  } catch (error) {
    throw notProtobuf(error);
  }
  return { bytes, spanCount, scopes };
}

/**
 * Every span of a binary export, decoded one at a time by protobufjs from the official
 * definitions and handed to `visit` with its resource and scope, in request order: what a span
 * allocates dies with it, instead of the whole request's spans living until the last is mapped
 * (the collector's copying of them was a third of the validator's time). A resource is decoded
 * once for its scopes. `OtlpDecodeError` for a message that is not one; what `visit` throws
 * passes through as it is.
 */
export function forEachProtobufSpan(
  request: ProtobufExport,
  visit: (span: OtlpSpan, place: ProtobufSpanPlace) => void,
): void {
  const { bytes } = request;
  let resource: OtlpResource | null = null;
  let resourceOf = -1;
  for (const { at, resourceAt, scopeAt, spans } of request.scopes) {
    const [i, j] = at;
    const r = () => `resourceSpans[${i}]`;
    const sp = () => `${r()}.scopeSpans[${j}]`;
    if (resourceOf !== i) {
      resource = resourceAt
        ? decoding(() => plainResource(OTLP_TYPES.Resource.decode(bytes.subarray(...resourceAt)), r))
        : null;
      resourceOf = i;
    }
    const scope = scopeAt
      ? decoding(() => plainScope(OTLP_TYPES.Scope.decode(bytes.subarray(...scopeAt)), sp))
      : null;
    spans.forEach(([start, end], k) => {
      const span = decoding(() =>
        plainSpan(OTLP_TYPES.Span.decode(bytes.subarray(start, end)), () => `${sp()}.spans[${k}]`),
      );
      visit(span, { at: [i, j, k], resource, scope });
    });
  }
}

/** `read()`, its errors as `OtlpDecodeError`s naming the body. */
function decoding<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    throw notProtobuf(error);
  }
}

function notProtobuf(error: unknown): OtlpDecodeError {
  const reason =
    error instanceof RangeError && /index out of range/.test(error.message)
      ? `it ends in the middle of a field (${error.message})`
      : (error as Error).message;
  return new OtlpDecodeError('', `the body is not a protobuf ExportTraceServiceRequest: ${reason}`);
}

function plainSpan(span: Decoded, path: () => string): OtlpSpan {
  return {
    traceId: bytesField(span.traceId),
    spanId: bytesField(span.spanId),
    traceState: span.traceState,
    parentSpanId: bytesField(span.parentSpanId),
    flags: span.flags,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: longText(span.startTimeUnixNano),
    endTimeUnixNano: longText(span.endTimeUnixNano),
    attributes: keyValues(span.attributes, () => `${path()}.attributes`),
    droppedAttributesCount: span.droppedAttributesCount,
    events: (span.events as Decoded[]).map((e, n) => ({
      timeUnixNano: longText(e.timeUnixNano),
      name: e.name,
      attributes: keyValues(e.attributes, () => `${path()}.events[${n}].attributes`),
      droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: (span.links as Decoded[]).map((l, n) => ({
      traceId: bytesField(l.traceId),
      spanId: bytesField(l.spanId),
      traceState: l.traceState,
      attributes: keyValues(l.attributes, () => `${path()}.links[${n}].attributes`),
      droppedAttributesCount: l.droppedAttributesCount,
      flags: l.flags,
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: span.status ? { message: span.status.message, code: span.status.code } : null,
  };
}

const NO_BYTES = Buffer.alloc(0);
/** A bytes field: an absent one reads as the prototype's empty array, given here as empty bytes. */
const bytesField = (value: unknown): Uint8Array => (value instanceof Uint8Array ? value : NO_BYTES);

/**
 * A 64-bit integer as protobufjs decodes it (a Long, or a number without one) as decimal text:
 * through a double when it is exact (token counts), through a BigInt otherwise (nanosecond
 * times); `Long.toString` divides its way down and was the slowest part of reading a span.
 */
function longText(value: number | { low: number; high: number; unsigned: boolean }): string {
  if (typeof value === 'number') return String(value);
  const low = value.low >>> 0;
  const n = (value.unsigned ? value.high >>> 0 : value.high) * 4_294_967_296 + low;
  if (Number.isSafeInteger(n)) return String(n);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(low);
  return (value.unsigned ? bits : BigInt.asIntN(64, bits)).toString();
}

/** Thrown up through nested values refused for their depth, collecting the path on the way. */
class TooDeep {
  readonly segments: string[] = [];
}
function keyValues(list: Decoded[], path: () => string): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    try {
      out[i] = { key: kv.key, value: anyValue(kv.value, 1) };
    } catch (error) {
      if (!(error instanceof TooDeep)) throw error;
      throw new OtlpDecodeError(
        `${path()}[${i}].value${error.segments.reverse().join('')}`,
        `is nested more than ${MAX_VALUE_DEPTH} levels deep`,
      );
    }
  }
  return out;
}

/** The one field of an AnyValue's `value` oneof that was sent, as `toObject` gives it, or null. */
function anyValue(v: Decoded, depth: number): OtlpAnyValue | null {
  if (!v) return null;
  if (depth > MAX_VALUE_DEPTH) throw new TooDeep();
  // The member the wire set last (protobuf's rule), else the one set (a message built from JSON).
  const set: string | undefined = v[ANY_VALUE_SET];
  if (set === 'stringValue') return { stringValue: v.stringValue };
  if (set === 'intValue') return { intValue: longText(v.intValue) };
  if (set === 'doubleValue') return { doubleValue: v.doubleValue };
  if (set === 'boolValue') return { boolValue: v.boolValue };
  if (set === 'bytesValue') return { bytesValue: v.bytesValue };
  if (Object.hasOwn(v, 'stringValue') && v.stringValue != null) return { stringValue: v.stringValue };
  if (Object.hasOwn(v, 'intValue') && v.intValue != null) return { intValue: longText(v.intValue) };
  if (Object.hasOwn(v, 'doubleValue') && v.doubleValue != null) return { doubleValue: v.doubleValue };
  if (Object.hasOwn(v, 'boolValue') && v.boolValue != null) return { boolValue: v.boolValue };
  if (Object.hasOwn(v, 'arrayValue') && v.arrayValue != null) {
    const items = v.arrayValue.values as Decoded[];
    const values: OtlpAnyValue[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      try {
        values[i] = anyValue(items[i], depth + 1) ?? {};
      } catch (error) {
        if (error instanceof TooDeep) error.segments.push(`.arrayValue.values[${i}]`);
        throw error;
      }
    }
    return { arrayValue: { values } };
  }
  if (Object.hasOwn(v, 'kvlistValue') && v.kvlistValue != null) {
    const items = v.kvlistValue.values as Decoded[];
    const values: OtlpKeyValue[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      try {
        values[i] = { key: items[i].key, value: anyValue(items[i].value, depth + 1) };
      } catch (error) {
        if (error instanceof TooDeep) error.segments.push(`.kvlistValue.values[${i}].value`);
        throw error;
      }
    }
    return { kvlistValue: { values } };
  }
  if (Object.hasOwn(v, 'bytesValue') && v.bytesValue != null) return { bytesValue: v.bytesValue };
  if (Object.hasOwn(v, 'stringValueStrindex') && v.stringValueStrindex != null) {
    return { stringValueStrindex: v.stringValueStrindex };
  }
  return {};
}

/**
 * An OTLP JSON `ExportTraceServiceRequest`, read as the OTLP specification amends the protobuf
 * JSON mapping: trace and span ids are hex (not base64), keys are lowerCamelCase (the
 * original snake_case names are unknown fields), enums are integers only, and unknown fields are
 * ignored. 64-bit integers may be decimal strings or numbers; `null` is the field's default.
 */
export function decodeJsonRequest(bytes: Uint8Array): ExportTraceServiceRequest {
  if (!isUtf8(bytes)) throw new OtlpDecodeError('', 'the body is not UTF-8 text');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new OtlpDecodeError('', `the body is not JSON: ${(error as Error).message}`);
  }
  const type = OTLP_TYPES.ExportTraceServiceRequest;
  let request: ExportTraceServiceRequest;
  try {
    request = plainRequest(type.fromObject(readMessage(type, json, '')));
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    // Only a value nested past the call stack's depth gets here.
    throw new OtlpDecodeError('', `the body could not be read: ${(error as Error).message}`);
  }
  return request;
}

/** Bytes fields that OTLP JSON writes as hex; every other bytes field is base64. */
const HEX_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^(?:[A-Za-z0-9+/\-_]{4})*(?:[A-Za-z0-9+/\-_]{2}(?:==)?|[A-Za-z0-9+/\-_]{3}=?)?$/;
const INTEGER_TEXT = /^-?\d+$/;

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function readMessage(type: protobuf.Type, json: unknown, path: string): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new OtlpDecodeError(path, `must be a JSON object, got ${jsonType(json)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    // Unknown fields, original snake_case names among them, are ignored as the specification says.
    const field = Object.hasOwn(type.fields, key) ? type.fields[key] : undefined;
    if (field === undefined || value === null) continue;
    const at = join(path, key);
    if (field.repeated) {
      if (!Array.isArray(value)) throw new OtlpDecodeError(at, `must be an array, got ${jsonType(value)}`);
      out[key] = value.map((item, i) => readField(field, item, `${at}[${i}]`));
    } else {
      out[key] = readField(field, value, at);
    }
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((f) => out[f.name] !== undefined).map((f) => f.name);
    if (set.length > 1) {
      throw new OtlpDecodeError(path, `sets ${set.join(' and ')}: at most one of them may be set`);
    }
  }
  return out;
}

function readField(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) return readMessage(resolved, value, path);
  if (resolved instanceof protobuf.Enum) return readEnum(resolved, value, path);
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string')
        throw new OtlpDecodeError(path, `must be a string, got ${jsonType(value)}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean')
        throw new OtlpDecodeError(path, `must be true or false, got ${jsonType(value)}`);
      return value;
    case 'bytes':
      return HEX_FIELDS.has(field.name) ? readHex(value, path) : readBase64(value, path);
    case 'double':
    case 'float':
      return readFloat(value, path);
    default: {
      const range = INT_RANGES[field.type];
      if (range === undefined) throw new OtlpDecodeError(path, `has the unsupported type ${field.type}`);
      return readInteger(value, range, field.type, path);
    }
  }
}

function readEnum(type: protobuf.Enum, value: unknown, path: string): number {
  if (typeof value === 'string' && Object.hasOwn(type.values, value)) {
    throw new OtlpDecodeError(
      path,
      `must be the integer value of ${type.name}, not its name: OTLP JSON writes enums as integers (${value} is ${type.values[value]})`,
    );
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new OtlpDecodeError(path, `must be an integer (${type.name}), got ${jsonType(value)}`);
  }
  if (value < -(2 ** 31) || value >= 2 ** 31)
    throw new OtlpDecodeError(path, `must be a 32-bit integer, got ${value}`);
  // Proto3 enums are open: a value this version does not name is kept, and judged per span.
  return value;
}

function readHex(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value)) {
    throw new OtlpDecodeError(
      path,
      `must be a hex string (OTLP JSON writes trace and span ids in hex, not base64), got ${jsonType(value)}`,
    );
  }
  return Buffer.from(value, 'hex');
}

function readBase64(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) {
    throw new OtlpDecodeError(path, `must be a base64 string, got ${jsonType(value)}`);
  }
  return Buffer.from(value, 'base64');
}

function readFloat(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  throw new OtlpDecodeError(path, `must be a number, got ${jsonType(value)}`);
}

function readInteger(
  value: unknown,
  [min, max]: readonly [bigint, bigint],
  type: string,
  path: string,
): string {
  let n: bigint;
  if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && INTEGER_TEXT.test(value)) n = BigInt(value);
  else {
    throw new OtlpDecodeError(
      path,
      `must be an integer (${type}) as a number or a decimal string, got ${jsonType(value)}`,
    );
  }
  if (n < min || n > max)
    throw new OtlpDecodeError(path, `must be within ${type}'s range ${min}..${max}, got ${n}`);
  return n.toString();
}
