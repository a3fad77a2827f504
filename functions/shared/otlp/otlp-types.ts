/**
 * An `ExportTraceServiceRequest` as both decoders return it (protobuf and OTLP JSON): the
 * messages of the official definitions with lowerCamelCase names, 64-bit integers as decimal
 * strings, bytes as `Uint8Array`, enums as numbers (unknown ones kept: proto3 enums are open),
 * every list and scalar present with its default, absent messages `null`.
 */

/** `AnyValue`: at most one member is set; none set is the empty value. */
export interface OtlpAnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  /** int64 as a decimal string. */
  readonly intValue?: string;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values: readonly OtlpAnyValue[] } | null;
  readonly kvlistValue?: { readonly values: readonly OtlpKeyValue[] } | null;
  readonly bytesValue?: Uint8Array;
  /** A reference into a profiles dictionary; meaningless in traces. */
  readonly stringValueStrindex?: number;
}

export interface OtlpKeyValue {
  readonly key: string;
  readonly value: OtlpAnyValue | null;
}

export interface OtlpSpanEvent {
  readonly timeUnixNano: string;
  readonly name: string;
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount: number;
}

export interface OtlpLink {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly traceState: string;
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount: number;
  readonly flags: number;
}

export interface OtlpStatus {
  readonly message: string;
  readonly code: number;
}

export interface OtlpSpan {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly traceState: string;
  readonly parentSpanId: Uint8Array;
  readonly flags: number;
  readonly name: string;
  readonly kind: number;
  /** fixed64 nanoseconds since the epoch, as a decimal string. */
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount: number;
  readonly events: readonly OtlpSpanEvent[];
  readonly droppedEventsCount: number;
  readonly links: readonly OtlpLink[];
  readonly droppedLinksCount: number;
  readonly status: OtlpStatus | null;
}

export interface OtlpInstrumentationScope {
  readonly name: string;
  readonly version: string;
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount: number;
}

export interface OtlpScopeSpans {
  readonly scope: OtlpInstrumentationScope | null;
  readonly spans: readonly OtlpSpan[];
  readonly schemaUrl: string;
}

export interface OtlpResource {
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount: number;
}

export interface OtlpResourceSpans {
  readonly resource: OtlpResource | null;
  readonly scopeSpans: readonly OtlpScopeSpans[];
  readonly schemaUrl: string;
}

export interface ExportTraceServiceRequest {
  readonly resourceSpans: readonly OtlpResourceSpans[];
}

/** The two encodings of OTLP/HTTP; a response is written in the request's. */
export type OtlpEncoding = 'protobuf' | 'json';
