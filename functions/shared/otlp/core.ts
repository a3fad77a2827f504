import { checkEvent, type NormalizedEvent } from '../contract/event.js';
import { outsideWindow, type TimeWindow } from '../contract/time-window.js';
import { DEFAULT_MODEL_PRICES, type ModelPriceTable } from '../model-prices.js';
import { forEachProtobufSpan, type ProtobufExport } from './decode.js';
import type {
  ExportTraceServiceRequest,
  OtlpInstrumentationScope,
  OtlpResource,
  OtlpSpan,
} from './otlp-types.js';
import { spanToEvent } from './span-event.js';

/** The `model` of events from spans that name no model (agent steps, tools, HTTP calls). */
export const NO_MODEL = '(none)';

export interface TraceIngestOptions {
  /** The API key's project: every event is checked for it, as the validator checks events. */
  readonly projectId: string;
  /** Prices for spans that report tokens but no cost. @default DEFAULT_MODEL_PRICES */
  readonly prices?: ModelPriceTable;
  /** @default NO_MODEL */
  readonly noModel?: string;
  /**
   * The clock window the validator holds events to (`now` injected): a span that starts
   * outside it is rejected. Without it, only the contract's own checks apply.
   */
  readonly timeWindow?: TimeWindow;
}

export interface RejectedSpan {
  /** The span's position among all spans of the request, in request order. */
  readonly index: number;
  /** `resourceSpans[i].scopeSpans[j].spans[k]`. */
  readonly path: string;
  /** What was wrong, starting with the span's path. */
  readonly reason: string;
}

export interface TraceIngestResult {
  /** One event per accepted span, in request order, normalised by the contract (none when not kept). */
  readonly events: NormalizedEvent[];
  /** Each event's span index (`RejectedSpan.index`'s numbering), in the same order. */
  readonly indexes: number[];
  readonly rejected: RejectedSpan[];
  /** Spans in the request: `events.length + rejected.length`. */
  readonly spanCount: number;
  /**
   * The entries of the price table that priced accepted spans: read back with these alone, the
   * same spans get the same prices (the longest key that prices a model is among them).
   */
  readonly pricesUsed: ModelPriceTable;
}

/** Hands every span of a request to `visit`, in request order, with where it sits. */
type SpanSource = (
  visit: (
    span: OtlpSpan,
    at: readonly [number, number, number],
    resource: OtlpResource | null,
    scope: OtlpInstrumentationScope | null,
  ) => void,
) => void;

/**
 * Every span of an OTLP export as one event of the contract, with partial success: a span that
 * is not valid OTLP or does not pass `checkEvent` is rejected alone, with the reason, and the
 * others are kept. Two spans with the same trace and span ids: the second is rejected, as the
 * validator rejects a duplicate event.
 */
export function tracesToEvents(
  request: ExportTraceServiceRequest,
  options: TraceIngestOptions,
): TraceIngestResult {
  return mapSpans((visit) => {
    request.resourceSpans.forEach((rs, i) => {
      rs.scopeSpans.forEach((ss, j) => {
        ss.spans.forEach((span, k) => {
          visit(span, [i, j, k], rs.resource, ss.scope);
        });
      });
    });
  }, options);
}

/**
 * The same for a binary `ExportTraceServiceRequest`, decoded a span at a time
 * (`forEachProtobufSpan`). With `keepEvents` false the events are judged and let go, and
 * `events` is empty: what a caller that forwards the export as sent needs is the rest. Throws
 * `OtlpDecodeError` when the body is not one.
 */
export function protobufTracesToEvents(
  request: ProtobufExport,
  options: TraceIngestOptions & { readonly keepEvents?: boolean },
): TraceIngestResult {
  return mapSpans(
    (visit) => {
      forEachProtobufSpan(request, (span, place) => {
        visit(span, place.at, place.resource, place.scope);
      });
    },
    options,
    options.keepEvents ?? true,
  );
}

function mapSpans(source: SpanSource, options: TraceIngestOptions, keepEvents = true): TraceIngestResult {
  const mapping = { prices: options.prices ?? DEFAULT_MODEL_PRICES, noModel: options.noModel ?? NO_MODEL };
  const events: NormalizedEvent[] = [];
  const indexes: number[] = [];
  const rejected: RejectedSpan[] = [];
  const seen = new Map<string, string>();
  const pricesUsed: Record<string, ModelPriceTable[string]> = {};
  let index = 0;
  source((span, [i, j, k], resource, scope) => {
    const path = `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`;
    const at = index++;
    const mapped = spanToEvent(span, { path, resource, scope }, mapping);
    if (!mapped.ok) {
      rejected.push({ index: at, path, reason: mapped.reason });
      return;
    }
    const checked = checkEvent(mapped.event, options.projectId);
    if (!checked.ok) {
      const hints = Object.entries(mapped.sources)
        .filter(([field]) => checked.reason.includes(field))
        .map(([field, source]) => `${field} from ${source}`);
      const from = hints.length ? ` (${hints.join(', ')})` : '';
      rejected.push({ index: at, path, reason: `${path}: ${checked.reason}${from}` });
      return;
    }
    const late = options.timeWindow && outsideWindow(checked.event.timestamp, options.timeWindow);
    if (late) {
      rejected.push({ index: at, path, reason: `${path}.startTimeUnixNano: ${late}` });
      return;
    }
    const id = `${checked.event.trace_id}/${checked.event.span_id}`;
    const first = seen.get(id);
    if (first !== undefined) {
      rejected.push({ index: at, path, reason: `${path}: the same traceId and spanId as ${first}` });
      return;
    }
    seen.set(id, path);
    if (mapped.priceKey !== undefined) {
      const price = (mapping.prices as ModelPriceTable)[mapped.priceKey];
      if (price) pricesUsed[mapped.priceKey] = price;
    }
    if (keepEvents) events.push(checked.event);
    indexes.push(at);
  });
  return { events, indexes, rejected, spanCount: index, pricesUsed };
}
