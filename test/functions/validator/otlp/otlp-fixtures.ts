import { OTLP_TYPES } from '../../../../functions/shared/otlp/proto-root.js';

/** OTLP JSON as the specification writes it: what the tests build requests from. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const SPAN_ID = 'eee19b7ec3c1b174';
export const PARENT_ID = 'eee19b7ec3c1b173';
/** 2026-01-31T12:00:00.123456789Z in nanoseconds. */
export const START_NS = '1769860800123456789';
/** 1.5 s later. */
export const END_NS = '1769860801623456789';

/** An OTLP JSON `AnyValue` for a plain JavaScript value. */
export function anyValue(value: unknown): Json {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'bigint') return { intValue: String(value) };
  if (typeof value === 'number')
    return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (value && typeof value === 'object')
    return { kvlistValue: { values: keyValues(value as Record<string, unknown>) } };
  return {};
}

export function keyValues(attributes: Record<string, unknown>): Json[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

export function jsonSpan(
  overrides: Record<string, Json> = {},
  attributes: Record<string, unknown> = {},
): Json {
  return {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    parentSpanId: PARENT_ID,
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: START_NS,
    endTimeUnixNano: END_NS,
    attributes: keyValues(attributes),
    status: {},
    ...overrides,
  };
}

export function jsonRequest(
  spans: Json[],
  resource: Record<string, unknown> = { 'service.name': 'checkout' },
): { resourceSpans: Json[] } {
  return {
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource) },
        scopeSpans: [{ scope: { name: 'openinference.instrumentation.openai', version: '0.1.0' }, spans }],
      },
    ],
  };
}

const HEX_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** The same request for protobufjs's `fromObject`: ids as bytes (hex in OTLP JSON). */
function forProtobufjs(value: Json, key = ''): unknown {
  if (typeof value === 'string' && HEX_FIELDS.has(key)) return Buffer.from(value, 'hex');
  if (Array.isArray(value)) return value.map((v) => forProtobufjs(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forProtobufjs(v, k)]));
  }
  return value;
}

/** Protobuf bytes of an OTLP JSON request, encoded by protobufjs from the vendored descriptors. */
export function protobufBytes(json: Json): Uint8Array {
  const type = OTLP_TYPES.ExportTraceServiceRequest;
  return type.encode(type.fromObject(forProtobufjs(json) as Record<string, unknown>)).finish();
}

export const jsonBytes = (json: unknown): Uint8Array => Buffer.from(JSON.stringify(json));
