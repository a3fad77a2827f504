import { EVENT_LIMITS, type EventInput } from '../contract/event.js';
import { costCents, type ModelPriceTable } from '../model-prices.js';
import { AttributeBag, attributeObject, attributeValue } from './attributes.js';
import { readLlmFields } from './llm-fields.js';
import type { OtlpInstrumentationScope, OtlpResource, OtlpSpan } from './otlp-types.js';
import { MetadataBuilder } from './span-metadata.js';

/** Span kinds by their OTLP number, as metadata names them (`span.kind`). */
export const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
/** Status codes by their OTLP number. */
export const STATUS_CODES = ['unset', 'ok', 'error'] as const;

/** Where a span sits in its request, and what it shares with its neighbours. */
export interface SpanPlace {
  /** `resourceSpans[i].scopeSpans[j].spans[k]`: how reasons name the span. */
  readonly path: string;
  readonly resource: OtlpResource | null;
  readonly scope: OtlpInstrumentationScope | null;
}

export interface SpanMappingOptions {
  readonly prices: ModelPriceTable;
  /** The `model` of a span that names none (agent steps, tools, HTTP): the contract requires one. */
  readonly noModel: string;
}

export type SpanMapping =
  | {
      readonly ok: true;
      readonly event: EventInput;
      /** The attribute each event field came from, for reasons that name a field. */
      readonly sources: Readonly<Record<string, string>>;
      /** The price table's key that priced the span, when the table did. */
      readonly priceKey?: string;
    }
  | { readonly ok: false; readonly reason: string };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const NANOS_PER_MS = 1_000_000n;

/** `text` cut to `max` UTF-16 units, never between the two halves of a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** `value` within `max` characters, cut with a note when it is not. */
function fitText(meta: MetadataBuilder, field: string, value: string, max: number): string {
  if (value.length <= max) return value;
  meta.note(`${field}: cut to ${max} characters from ${value.length}`);
  return cut(value, max);
}

/**
 * One span as one event of the contract's input shape (`checkEvent` still judges it). A span
 * whose ids, times, kind or status are not valid OTLP is rejected, naming the field; anything
 * else that does not fit the contract is cut or left out and noted in `metadata.otlp.notes`
 * (see the mapping table in the README of the OTLP ingestion).
 */
export function spanToEvent(span: OtlpSpan, place: SpanPlace, options: SpanMappingOptions): SpanMapping {
  const problems = spanProblems(span);
  if (problems.length) return { ok: false, reason: problems.map((p) => `${place.path}.${p}`).join('; ') };

  const start = BigInt(span.startTimeUnixNano);
  const end = BigInt(span.endTimeUnixNano);
  const meta = new MetadataBuilder();
  const sources: Record<string, string> = {};
  let priceKey: string | undefined;

  const bag = new AttributeBag(span.attributes);
  const llm = readLlmFields(bag, span.events);
  for (const note of llm.notes) meta.note(note);

  const event: EventInput = {
    trace_id: hex(span.traceId),
    span_id: hex(span.spanId),
    parent_span_id: hex(span.parentSpanId),
    timestamp: Number(start / NANOS_PER_MS),
    name: fitText(meta, 'name', span.name, EVENT_LIMITS.nameMaxChars),
    model: fitText(meta, 'model', llm.model?.value ?? options.noModel, EVENT_LIMITS.modelMaxChars),
    latency_ms: Number(end - start) / 1e6,
  };
  sources.timestamp = 'startTimeUnixNano';
  sources.latency_ms = 'endTimeUnixNano - startTimeUnixNano';
  if (llm.model) sources.model = llm.model.from;

  if (llm.inputTokens) {
    event.input_tokens = llm.inputTokens.value;
    sources.input_tokens = llm.inputTokens.from;
  }
  if (llm.outputTokens) {
    event.output_tokens = llm.outputTokens.value;
    sources.output_tokens = llm.outputTokens.from;
  }
  if (llm.totalTokens) {
    const parts = (llm.inputTokens?.value ?? 0) + (llm.outputTokens?.value ?? 0);
    if (llm.totalTokens.value >= parts) {
      event.tokens_used = llm.totalTokens.value;
      sources.tokens_used = llm.totalTokens.from;
    } else {
      meta.note(
        `${llm.totalTokens.from}: ${llm.totalTokens.value} is less than input + output (${parts}); not used`,
      );
    }
  }

  if (llm.costUsd) {
    event.cost_cents = llm.costUsd.value * 100;
    sources.cost_cents = llm.costUsd.from;
    meta.put(['otlp'], 'cost_from', llm.costUsd.from);
  } else if (llm.model && (llm.inputTokens || llm.outputTokens)) {
    const priced = costCents(
      llm.model.value,
      llm.inputTokens?.value ?? 0,
      llm.outputTokens?.value ?? 0,
      options.prices,
    );
    if (priced) {
      event.cost_cents = priced.cents;
      sources.cost_cents = `the price of ${priced.key}`;
      priceKey = priced.key;
      meta.put(['otlp'], 'cost_from', `price table: ${priced.key}`);
    }
  }

  const code = span.status?.code ?? 0;
  const statusMessage = span.status?.message ?? '';
  const exceptionIndex = span.events.findIndex((e) => e.name === 'exception');
  const exception =
    exceptionIndex >= 0 ? attributeObject(span.events[exceptionIndex]?.attributes ?? []) : undefined;
  if (code === 2) {
    event.status = 'error';
    const fromException = [exception?.['exception.type'], exception?.['exception.message']]
      .filter((v) => typeof v === 'string' && v !== '')
      .join(': ');
    const message = statusMessage || fromException;
    if (message)
      event.error_message = fitText(meta, 'error_message', message, EVENT_LIMITS.errorMessageMaxChars);
  }

  if (llm.userId) {
    event.user_id = fitText(meta, 'user_id', llm.userId.value, EVENT_LIMITS.userIdMaxChars);
    sources.user_id = llm.userId.from;
  }
  if (llm.sessionId) {
    event.session_id = fitText(meta, 'session_id', llm.sessionId.value, EVENT_LIMITS.sessionIdMaxChars);
    sources.session_id = llm.sessionId.from;
  }
  if (llm.tags) {
    const fitting = llm.tags.value.filter((t) => t.length >= 1 && t.length <= EVENT_LIMITS.tagMaxChars);
    if (fitting.length < llm.tags.value.length) {
      meta.note(`tag.tags: tags empty or longer than ${EVENT_LIMITS.tagMaxChars} characters left out`);
    }
    const unique = [...new Set(fitting)];
    if (unique.length > EVENT_LIMITS.tagsMaxCount) {
      meta.note(`tag.tags: only the first ${EVENT_LIMITS.tagsMaxCount} tags kept`);
    }
    event.tags = unique.slice(0, EVENT_LIMITS.tagsMaxCount);
  }
  // Chat messages sent as structured values are kept as their JSON text.
  for (const field of ['prompt', 'response'] as const) {
    const found = llm[field];
    if (!found) continue;
    const text = typeof found.value === 'string' ? found.value : JSON.stringify(found.value);
    event[field] = fitText(meta, field, text, EVENT_LIMITS.textMaxChars);
    sources[field] = found.from;
  }

  // Metadata: what comes first keeps a path that two keys would name.
  meta.put(['span'], 'kind', SPAN_KINDS[span.kind]);
  if (code !== 0) meta.put(['span'], 'status_code', STATUS_CODES[code]);
  if (code !== 2 && statusMessage) meta.put(['span'], 'status_message', statusMessage);
  if (span.traceState) meta.put(['span'], 'trace_state', span.traceState);
  if (exception) {
    meta.put(['span', 'exception'], 'type', exception['exception.type']);
    meta.put(['span', 'exception'], 'message', exception['exception.message']);
  }
  const otherEvents = span.events
    .filter((_, i) => !llm.usedEvents.has(i))
    .map((e) => {
      const attributes = attributeObject(e.attributes);
      const time = BigInt(e.timeUnixNano) / NANOS_PER_MS;
      return {
        name: e.name,
        ...(time > 0n ? { time_ms: Number(time) } : {}),
        // As JSON text: attribute keys are dotted, and as paths they would nest past the depth limit.
        ...(Object.keys(attributes).length ? { attributes: JSON.stringify(attributes) } : {}),
      };
    });
  if (otherEvents.length) meta.put(['span'], 'events', otherEvents);
  if (span.links.length) {
    const links = span.links.map((l) => {
      const attributes = attributeObject(l.attributes);
      return {
        trace_id: hex(l.traceId),
        span_id: hex(l.spanId),
        ...(Object.keys(attributes).length ? { attributes: JSON.stringify(attributes) } : {}),
      };
    });
    meta.put(['span'], 'links', links);
  }
  for (const [key, count] of [
    ['dropped_attributes_count', span.droppedAttributesCount],
    ['dropped_events_count', span.droppedEventsCount],
    ['dropped_links_count', span.droppedLinksCount],
  ] as const) {
    if (count > 0) meta.put(['span'], key, count);
  }
  for (const [key, value] of bag.rest()) meta.put(['attributes'], key, value);
  // The resource's and scope's metadata are the same for every span that shares them: built once.
  const { resource, scope } = place;
  if (resource) meta.putShared(resource, (m) => putResource(m, resource));
  if (scope) meta.putShared(scope, (m) => putScope(m, scope));
  event.metadata = meta.build();
  return { ok: true, event, sources, ...(priceKey === undefined ? {} : { priceKey }) };
}

function putResource(meta: MetadataBuilder, resource: OtlpResource): void {
  for (const kv of resource.attributes) meta.put(['resource'], kv.key, attributeValue(kv.value));
}

function putScope(meta: MetadataBuilder, scope: OtlpInstrumentationScope): void {
  if (scope.name) meta.put(['scope'], 'name', scope.name);
  if (scope.version) meta.put(['scope'], 'version', scope.version);
  for (const kv of scope.attributes) meta.put(['scope', 'attributes'], kv.key, attributeValue(kv.value));
}

/** What makes a span invalid OTLP, each problem named by its field. */
function spanProblems(span: OtlpSpan): string[] {
  const problems: string[] = [];
  if (span.traceId.length !== 16) problems.push(`traceId: must be 16 bytes, got ${span.traceId.length}`);
  if (span.spanId.length !== 8) problems.push(`spanId: must be 8 bytes, got ${span.spanId.length}`);
  if (span.parentSpanId.length !== 0 && span.parentSpanId.length !== 8) {
    problems.push(`parentSpanId: must be 8 bytes or empty (a root span), got ${span.parentSpanId.length}`);
  }
  if (!Number.isInteger(span.kind) || span.kind < 0 || span.kind >= SPAN_KINDS.length) {
    problems.push(`kind: ${span.kind} is not a SpanKind (0-5: ${SPAN_KINDS.join(', ')})`);
  }
  const code = span.status?.code ?? 0;
  if (!Number.isInteger(code) || code < 0 || code >= STATUS_CODES.length) {
    problems.push(`status.code: ${code} is not a StatusCode (0-2: ${STATUS_CODES.join(', ')})`);
  }
  const start = BigInt(span.startTimeUnixNano);
  const end = BigInt(span.endTimeUnixNano);
  if (start === 0n) problems.push('startTimeUnixNano: must be set (nanoseconds since the Unix epoch)');
  if (end === 0n) problems.push('endTimeUnixNano: must be set: the span has not ended');
  else if (start !== 0n && end < start) {
    problems.push(`endTimeUnixNano: ${end} is before startTimeUnixNano ${start}`);
  }
  return problems;
}
