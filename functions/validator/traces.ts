/**
 * OTLP/HTTP's trace export, `POST /v1/traces`: every span of an `ExportTraceServiceRequest`
 * (protobuf or JSON, gzip or not) becomes one event of the contract and takes the path of
 * `POST /v1/events` from there on: the same checks, records, stream, loader and queries, and a
 * resend counts once. Answers as the specification asks: 200 with an `ExportTraceServiceResponse`
 * in the request's encoding, `partial_success` naming the spans rejected; 4xx and 5xx with a
 * `google.rpc.Status` body; 429 and 503 with Retry-After, the only answers an exporter retries,
 * and never a 5xx for bad data.
 */
import { canonicalLine } from '../shared/contract/event.js';
import type { EventError } from '../shared/contract/ingest-api.js';
import type { HttpRequest, HttpResponse } from '../shared/http.js';
import { protobufTracesToEvents, type TraceIngestResult, tracesToEvents } from '../shared/otlp/core.js';
import {
  decodeJsonRequest,
  OtlpDecodeError,
  otlpEncodingOf,
  readProtobufExport,
  readTraceBody,
} from '../shared/otlp/decode.js';
import type { OtlpEncoding } from '../shared/otlp/otlp-types.js';
import { admit, EMPTY_SUMMARY, recordHeader, writeRecords } from './admission.js';
import { countByCode } from './answer.js';
import type { RequestSummary, ValidatorDeps } from './core.js';
import {
  describeRejections,
  type EncodedResponse,
  encodeErrorStatus,
  encodeTraceResponse,
} from './otlp/response.js';
import { packLines, packOtlpPassThrough, TOO_LARGE_FOR_A_RECORD } from './records.js';

/** The summary's error code for each status an undecodable request gets. */
const DECODE_ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'invalid_otlp',
  413: 'decompressed_too_large',
  415: 'unsupported_media_type',
};

/** An OTLP answer: protobuf bytes travel base64 through the load balancer, JSON as text. */
function otlpResponse(
  statusCode: number,
  encoded: EncodedResponse,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse {
  const common = { statusCode, headers: { 'content-type': encoded.contentType, ...headers } };
  return encoded.contentType === 'application/json'
    ? { ...common, body: Buffer.from(encoded.body).toString('utf8') }
    : { ...common, body: Buffer.from(encoded.body).toString('base64'), bodyEncoding: 'base64' };
}

/** `POST /v1/traces`. */
export async function ingestTraces(
  request: HttpRequest,
  deps: ValidatorDeps,
): Promise<{ response: HttpResponse; summary: RequestSummary }> {
  const { limits } = deps;
  // Error answers go in the request's encoding; one OTLP does not know is answered in JSON.
  const encoding: OtlpEncoding | undefined = otlpEncodingOf(request.headers['content-type']);
  const base = { ...EMPTY_SUMMARY, route: 'traces' as const, bodyBytes: request.body.length };
  const fail = (
    statusCode: number,
    code: string,
    message: string,
    headers: Readonly<Record<string, string>> = {},
    extra: Partial<RequestSummary> = {},
  ) => ({
    response: otlpResponse(statusCode, encodeErrorStatus(encoding, statusCode, message), headers),
    summary: { ...base, ...extra, statusCode, errorCode: code },
  });

  const admission = await admit(request, deps, 'spans');
  if (!admission.ok) {
    const { statusCode, code, message, headers, who, keyStoreError } = admission;
    return fail(statusCode, code, message, headers, { ...who, ...(keyStoreError ? { keyStoreError } : {}) });
  }
  const { who, idempotencyKey } = admission;

  const now = deps.now();
  const mapping = {
    projectId: who.projectId,
    ...(deps.modelPrices ? { prices: deps.modelPrices } : {}),
    timeWindow: { nowMs: now, maxFutureSkewMs: limits.maxFutureSkewMs, maxAgeMs: limits.maxAgeMs },
  };
  let body: ReturnType<typeof readTraceBody>;
  let spanCount: number;
  let mapSpans: (keepEvents: boolean) => TraceIngestResult;
  try {
    body = readTraceBody(request.body, {
      contentType: request.headers['content-type'],
      contentEncoding: request.headers['content-encoding'],
      maxDecodedBytes: limits.body.maxDecompressedBytes,
    });
    // Protobuf is decoded a span at a time as it is mapped; JSON is parsed whole.
    if (body.encoding === 'protobuf') {
      const spans = readProtobufExport(body.decoded);
      spanCount = spans.spanCount;
      mapSpans = (keepEvents) => protobufTracesToEvents(spans, { ...mapping, keepEvents });
    } else {
      const decoded = decodeJsonRequest(body.decoded);
      spanCount = decoded.resourceSpans.reduce(
        (n, r) => n + r.scopeSpans.reduce((m, s) => m + s.spans.length, 0),
        0,
      );
      mapSpans = () => tracesToEvents(decoded, mapping);
    }
  } catch (error) {
    if (!(error instanceof OtlpDecodeError)) throw error;
    return fail(error.status, DECODE_ERROR_CODES[error.status] ?? 'invalid_otlp', error.message, {}, who);
  }

  const extra = { ...who, decodedBytes: body.decoded.byteLength };
  // Counted before any span is mapped: a body of 16 MiB of spans is refused for its count alone.
  if (spanCount > limits.body.maxEvents) {
    return fail(
      413,
      'too_many_events',
      `request has ${spanCount} spans; at most ${limits.body.maxEvents} are accepted per request (set the batch span processor's maxExportBatchSize lower)`,
      {},
      extra,
    );
  }
  // A gzip export is most likely forwarded as sent, which needs no events: they are judged and let
  // go, and mapped again only if some span was refused after all.
  let mapped: TraceIngestResult;
  try {
    mapped = mapSpans(!body.gzip);
  } catch (error) {
    if (!(error instanceof OtlpDecodeError)) throw error;
    return fail(error.status, 'invalid_otlp', error.message, {}, extra);
  }

  const header = recordHeader(who, idempotencyKey, body.decoded, now, deps);
  // Every span accepted and the body gzip: the export travels as sent, as a gzip NDJSON request
  // does, and its consumers map it again with the prices used here. Otherwise the accepted spans
  // are written as event lines and compressed again.
  const whole =
    body.gzip && mapped.rejected.length === 0 && mapped.indexes.length > 0
      ? packOtlpPassThrough(
          header,
          { encoding: body.encoding, bytes: body.decoded.byteLength, prices: mapped.pricesUsed },
          request.body,
          mapped.indexes,
          limits.pack.maxRecordBytes,
        )
      : undefined;
  if (!whole && mapped.indexes.length > mapped.events.length) mapped = mapSpans(true);
  const packed = whole
    ? { records: [whole], tooLarge: [] }
    : mapped.events.length > 0
      ? packLines(
          header,
          mapped.events.map((event, k) => ({
            index: mapped.indexes[k] as number,
            text: canonicalLine(event),
          })),
          limits.pack,
        )
      : { records: [], tooLarge: [] };
  const refused: EventError[] = [
    ...mapped.rejected.map((r) => ({ index: r.index, code: 'invalid_event' as const, message: r.reason })),
    ...packed.tooLarge.map((index) => ({
      index,
      code: 'event_too_large' as const,
      message: `span ${index}: its event ${TOO_LARGE_FOR_A_RECORD}; shorten its prompt and response`,
    })),
  ]
    .map((e) => ({ ...e, retryable: false }))
    .sort((a, b) => a.index - b.index);

  const written = await writeRecords(packed.records, header, deps);
  const counts = {
    ...extra,
    eventsAccepted: written.eventsAccepted,
    eventsRejected: refused.length,
    eventsRetryable: written.errors.length,
    eventsNotAcceptedByCode: countByCode([...refused, ...written.errors]),
    records: packed.records.length,
    passThrough: whole !== undefined,
    ...(written.streamError ? { streamError: written.streamError } : {}),
  };
  if (written.errors.length > 0) {
    // The exporter sends the whole request again; the records that went in are loaded once, as the
    // resend names the same request.
    const throttled = written.errors.every((e) => e.code === 'throttled');
    const retryAfter = throttled ? limits.retryAfterThrottledSec : limits.retryAfterUnavailableSec;
    return fail(
      throttled ? 429 : 503,
      throttled ? 'throttled' : 'unavailable',
      `${written.errors.length} of ${mapped.spanCount} spans could not be written to the event stream${throttled ? ' (over its throughput)' : ''}; send the request again after Retry-After seconds`,
      { 'retry-after': String(retryAfter) },
      counts,
    );
  }
  const response = otlpResponse(
    200,
    encodeTraceResponse(body.encoding, {
      rejectedSpans: refused.length,
      errorMessage: describeRejections(
        refused.map((e) => ({ reason: e.message })),
        mapped.spanCount,
      ),
    }),
    { 'x-evalforge-request-id': header.request_id },
  );
  return { response, summary: { ...base, ...counts, statusCode: 200 } };
}
