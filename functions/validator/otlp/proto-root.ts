import Long from 'long';
import protobuf from 'protobufjs/light.js';
import { OTLP_TRACE_DESCRIPTOR } from './proto/trace-descriptor.js';

// protobufjs finds `long` by an eval'd require that bundlers cannot follow; without it 64-bit
// fields decode as JavaScript numbers, and nanosecond timestamps lose their last digits.
protobuf.util.Long = Long;
protobuf.configure();

const root = protobuf.Root.fromJSON(OTLP_TRACE_DESCRIPTOR);

/** The OTLP trace messages, reflected from the vendored official definitions. */
export const OTLP_TYPES = {
  ExportTraceServiceRequest: root.lookupType(
    'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  ),
  ExportTraceServiceResponse: root.lookupType(
    'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
  ),
  SpanKind: root.lookupEnum('opentelemetry.proto.trace.v1.Span.SpanKind'),
  StatusCode: root.lookupEnum('opentelemetry.proto.trace.v1.Status.StatusCode'),
} as const;

/**
 * How a decoded message becomes the plain objects of `otlp-types.ts`: 64-bit integers as decimal
 * strings, enums as numbers, absent scalars and lists as their defaults.
 */
export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: Number,
  defaults: true,
  arrays: true,
};
