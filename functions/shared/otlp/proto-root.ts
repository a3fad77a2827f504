import Long from 'long';
import protobuf from 'protobufjs/light.js';
import { OTLP_TRACE_DESCRIPTOR } from './proto/trace-descriptor.js';

// protobufjs finds `long` by an eval'd require that bundlers cannot follow; without it 64-bit
// fields decode as JavaScript numbers, and nanosecond timestamps lose their last digits.
protobuf.util.Long = Long;
protobuf.configure();

const root = protobuf.Root.fromJSON(OTLP_TRACE_DESCRIPTOR);

/** Where a decoded AnyValue keeps the name of the `value` member the wire set last. */
export const ANY_VALUE_SET = Symbol('AnyValue.value set last');

/**
 * The decoder names the oneof member it sets through the message's virtual `value` property,
 * whose protobufjs setter deletes the six other members, one engine slow path each: on a
 * request of LLM spans, a fifth of the decoding time. AnyValue's constructor is set up with a
 * setter that only records the name, so the last member on the wire still wins (`decode.ts`
 * reads the one named), as protobuf says. The library's own setter is put back at once: no other
 * type, of this root or another, gets this one.
 */
function recordOneofMember(type: protobuf.Type): void {
  const librarySetter = protobuf.util.oneOfSetter;
  protobuf.util.oneOfSetter = () =>
    function (this: Record<symbol, string | undefined>, name: string | undefined) {
      this[ANY_VALUE_SET] = name;
    };
  try {
    void type.ctor; // sets the constructor and its prototype up now
  } finally {
    protobuf.util.oneOfSetter = librarySetter;
  }
}
recordOneofMember(root.lookupType('opentelemetry.proto.common.v1.AnyValue'));

/** The OTLP trace messages, reflected from the vendored official definitions. */
export const OTLP_TYPES = {
  ExportTraceServiceRequest: root.lookupType(
    'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  ),
  ExportTraceServiceResponse: root.lookupType(
    'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
  ),
  ResourceSpans: root.lookupType('opentelemetry.proto.trace.v1.ResourceSpans'),
  ScopeSpans: root.lookupType('opentelemetry.proto.trace.v1.ScopeSpans'),
  Span: root.lookupType('opentelemetry.proto.trace.v1.Span'),
  Resource: root.lookupType('opentelemetry.proto.resource.v1.Resource'),
  Scope: root.lookupType('opentelemetry.proto.common.v1.InstrumentationScope'),
  SpanKind: root.lookupEnum('opentelemetry.proto.trace.v1.Span.SpanKind'),
  StatusCode: root.lookupEnum('opentelemetry.proto.trace.v1.Status.StatusCode'),
} as const;
