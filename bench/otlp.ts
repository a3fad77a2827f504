import { cpus } from 'node:os';
import { gzipSync } from 'node:zlib';
import { newApiKey } from '../functions/shared/auth/api-keys.js';
import type { EventInput } from '../functions/shared/contract/event.js';
import { INGEST_EVENTS_PATH, INGEST_TRACES_PATH } from '../functions/shared/http.js';
import { OTLP_TYPES } from '../functions/shared/otlp/proto-root.js';
import { DEFAULT_VALIDATOR_LIMITS, handleRequest, type ValidatorDeps } from '../functions/validator/core.js';
import { SYSTEM_RUNTIME } from '../functions/validator/runtime.js';
import type { PutOutcome } from '../functions/validator/stream-writer.js';
import { eventGenerator } from '../lib/workloads/event-generator.js';
import { againstLimit, type BenchFigure, formatInteger, formatNumber, median, verdict } from './figures.js';

/**
 * `npm run bench -- otlp`: the same realistic events (~5.5 KB of JSON each) sent to the validator
 * core two ways, each through `handleRequest` on one core with an in-memory stream: as the SDK
 * sends them to `POST /v1/events` (gzip NDJSON, 500 a request) and as an OpenTelemetry exporter
 * sends them to `POST /v1/traces` (a gzip protobuf `ExportTraceServiceRequest`, 500 spans a
 * request, the batch span processor's export size). The figure is OTLP protobuf events/s against
 * the native path's, measured in the same run on the same events. Both forward the client's gzip
 * body as the stream record when every event is accepted, so neither compresses again. For
 * information beside them: OTLP JSON, and both paths when one event of each request is refused,
 * so that the accepted ones are written as event lines and compressed again.
 */

/** Events per request on both paths: the SDK's `maxBatchEvents` and the OTel batch processor's export size. */
export const OTLP_BATCH_EVENTS = 500;

/** The target from the OTLP/HTTP ingestion issue: OTLP protobuf at least half the native path's events/s. */
export const OTLP_TARGETS = { ratioToNative: 0.5 } as const;

/** Interleaved rounds of samples, one sample per path each: the figures are their medians. */
export const OTLP_BENCH_ROUNDS = 7;
/** Passes over the requests in one sample (6 requests of 500 events each pass). */
export const OTLP_BENCH_PASSES = 3;

/** The gzip level of both the SDK (`gzipLevel`) and the OpenTelemetry exporters (zlib's default). */
const GZIP_LEVEL = 6;

/** What every span of the benchmark's requests shares: one service, one instrumentation. */
export const OTLP_RESOURCE = {
  'service.name': 'support-assistant',
  'telemetry.sdk.language': 'nodejs',
  'telemetry.sdk.name': 'opentelemetry',
  'telemetry.sdk.version': '2.12.1',
} as const;
/** A stand-in for the instrumentation library: sent once a request, only its size matters. */
export const OTLP_SCOPE = { name: 'genai-instrumentation', version: '1.0.0' } as const;

/** OTLP JSON, as the specification writes it. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `gen_ai.provider.name` of the generator's models, as the conventions name providers. */
function providerOf(model: string): string {
  if (model.startsWith('gpt-')) return 'openai';
  if (model.startsWith('claude-')) return 'anthropic';
  if (model.startsWith('mistral-')) return 'mistral_ai';
  return 'meta';
}

function anyValue(value: unknown): Json {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number')
    return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  return {};
}

const keyValues = (attributes: Record<string, unknown>): Json[] =>
  Object.entries(attributes)
    .filter(([, v]) => v !== undefined)
    .map(([key, value]) => ({ key, value: anyValue(value) }));

/** Epoch milliseconds as OTLP's decimal nanoseconds. */
const nanos = (ms: number): string => (BigInt(Math.round(ms * 1_000)) * 1_000n).toString();

/**
 * One event as the span an OpenTelemetry GenAI instrumentation records for the same call, with
 * the semantic conventions' current attributes (v1.37+): the operation and provider, the request
 * model, the usage counts, and the messages as JSON text in `gen_ai.input.messages` and
 * `gen_ai.output.messages` (content captured on the span). Nothing sends a cost (the validator
 * prices the tokens); tags go as OpenInference's `tag.tags`; the event's metadata as span
 * attributes, its temperature as `gen_ai.request.temperature`.
 */
export function eventToSpan(event: EventInput): Json {
  const start = typeof event.timestamp === 'number' ? event.timestamp : Date.parse(String(event.timestamp));
  const { temperature, ...metadata } = (event.metadata ?? {}) as Record<string, unknown>;
  const failed = event.status === 'error';
  return {
    traceId: event.trace_id ?? '',
    spanId: event.span_id ?? '',
    name: `chat ${event.model}`,
    kind: 3, // CLIENT
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(start + (event.latency_ms ?? 0)),
    attributes: keyValues({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': providerOf(event.model),
      'gen_ai.request.model': event.model,
      'gen_ai.request.temperature': temperature,
      'gen_ai.usage.input_tokens': event.input_tokens,
      'gen_ai.usage.output_tokens': event.output_tokens,
      'gen_ai.input.messages':
        event.prompt === undefined
          ? undefined
          : JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: event.prompt }] }]),
      'gen_ai.output.messages':
        event.response === undefined
          ? undefined
          : JSON.stringify([
              {
                role: 'assistant',
                parts: [{ type: 'text', content: event.response }],
                finish_reason: 'stop',
              },
            ]),
      'session.id': event.session_id,
      'user.id': event.user_id,
      'tag.tags': event.tags,
      ...metadata,
    }),
    // Instrumentations leave a successful call's status unset, and set ERROR with the message.
    status: failed ? { code: 2, message: event.error_message ?? '' } : {},
  };
}

/** An OTLP JSON `ExportTraceServiceRequest` of the events: one resource, one scope, a span each. */
export function otlpJsonRequest(events: readonly EventInput[]): { resourceSpans: Json[] } {
  return {
    resourceSpans: [
      {
        resource: { attributes: keyValues(OTLP_RESOURCE) },
        scopeSpans: [{ scope: { ...OTLP_SCOPE }, spans: events.map(eventToSpan) }],
      },
    ],
  };
}

const HEX_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** The same request for protobufjs's `fromObject`: ids as bytes (they are hex in OTLP JSON). */
function forProtobufjs(value: Json, key = ''): unknown {
  if (typeof value === 'string' && HEX_FIELDS.has(key)) return Buffer.from(value, 'hex');
  if (Array.isArray(value)) return value.map((v) => forProtobufjs(v));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forProtobufjs(v, k)]));
  return value;
}

/** The events' protobuf `ExportTraceServiceRequest`, uncompressed, written from the vendored definitions. */
export function otlpProtobuf(events: readonly EventInput[]): Uint8Array {
  return protobufOf(otlpJsonRequest(events));
}

/** An OTLP JSON request as protobuf bytes. */
function protobufOf(request: { resourceSpans: Json[] }): Uint8Array {
  const type = OTLP_TYPES.ExportTraceServiceRequest;
  return type.encode(type.fromObject(forProtobufjs(request) as Record<string, unknown>)).finish();
}

/** The events as the SDK writes a batch: a JSON line each, every line ending in a newline. */
export function ndjson(events: readonly EventInput[]): string {
  let text = '';
  for (const event of events) text += `${JSON.stringify(event)}\n`;
  return text;
}

export type OtlpBenchEncoding = 'native' | 'protobuf' | 'json';

/** One encoding's requests and what they weigh. */
export interface EncodedBatches {
  readonly bodies: readonly Buffer[];
  /** Bytes per event before and after gzip. */
  readonly rawBytesPerEvent: number;
  readonly wireBytesPerEvent: number;
}

/** The same events, in batches of `OTLP_BATCH_EVENTS`, in each encoding. */
export function encodeBatches(
  batches: readonly (readonly EventInput[])[],
): Record<OtlpBenchEncoding, EncodedBatches> {
  const events = batches.reduce((n, b) => n + b.length, 0);
  const encode = (write: (batch: readonly EventInput[]) => Uint8Array | string): EncodedBatches => {
    let raw = 0;
    let wire = 0;
    const bodies = batches.map((batch) => {
      const plain = write(batch);
      raw += typeof plain === 'string' ? Buffer.byteLength(plain) : plain.byteLength;
      const body = gzipSync(plain, { level: GZIP_LEVEL });
      wire += body.length;
      return body;
    });
    return { bodies, rawBytesPerEvent: raw / events, wireBytesPerEvent: wire / events };
  };
  return {
    native: encode(ndjson),
    protobuf: encode(otlpProtobuf),
    json: encode((batch) => JSON.stringify(otlpJsonRequest(batch))),
  };
}

/** What a request of each encoding carries on the wire, as the clients send it. */
const ROUTES: Readonly<Record<OtlpBenchEncoding, { path: string; contentType: string }>> = {
  native: { path: INGEST_EVENTS_PATH, contentType: 'application/x-ndjson' },
  protobuf: { path: INGEST_TRACES_PATH, contentType: 'application/x-protobuf' },
  json: { path: INGEST_TRACES_PATH, contentType: 'application/json' },
};

export interface OtlpEncodingResult {
  readonly eventsPerSec: number;
  readonly rawBytesPerEvent: number;
  readonly wireBytesPerEvent: number;
}

export interface OtlpBenchResult {
  readonly batches: number;
  readonly eventsPerBatch: number;
  readonly rounds: number;
  /** Passes over the requests in each sample. */
  readonly passes: number;
  readonly cores: number;
  readonly native: OtlpEncodingResult;
  readonly protobuf: OtlpEncodingResult;
  readonly json: OtlpEncodingResult;
  /**
   * The native path when it cannot forward the client's gzip as sent (one bad line a request): it
   * compresses its records again. Events/s, for information.
   */
  readonly nativeRewrittenEventsPerSec: number;
  /** The same for OTLP protobuf (one span a request with a 2-byte trace id). Events/s, for information. */
  readonly protobufRewrittenEventsPerSec: number;
}

/** The events of `batches` requests of `OTLP_BATCH_EVENTS`, from the seeded generator. */
export function benchEvents(batches: number, seed = 42, now: () => number = Date.now): EventInput[][] {
  const generator = eventGenerator({ seed, now });
  return Array.from({ length: batches }, () =>
    Array.from({ length: OTLP_BATCH_EVENTS }, () => generator.next()),
  );
}

/** The validator core with an accept-all in-memory stream and a key store of one key. */
export interface MemoryValidator {
  /** Every record the stream was given, in order. */
  readonly records: Uint8Array[];
  /** POSTs a gzip body as its client sends it: the SDK with an Idempotency-Key, an OTel exporter without. */
  post(encoding: OtlpBenchEncoding, body: Buffer): ReturnType<typeof handleRequest>;
}

export function memoryValidator(options: { keepRecords?: boolean } = {}): MemoryValidator {
  const key = newApiKey('bench', new Date());
  const records: Uint8Array[] = [];
  const deps: ValidatorDeps = {
    keys: { findByKeyId: async () => key.record },
    putRecords: async (batch) => {
      // The benchmark keeps only the first: holding every record would grow its heap round after round.
      for (const r of batch) if (options.keepRecords || records.length === 0) records.push(r.data);
      return batch.map((): PutOutcome => ({ ok: true }));
    },
    ...SYSTEM_RUNTIME,
    limits: DEFAULT_VALIDATOR_LIMITS,
  };
  let batch = 0;
  return {
    records,
    post(encoding, body) {
      const { path, contentType } = ROUTES[encoding];
      const headers: Record<string, string> = {
        authorization: `Bearer ${key.key}`,
        'content-type': contentType,
        'content-encoding': 'gzip',
      };
      // The SDK names every batch; OpenTelemetry exporters send no Idempotency-Key.
      if (encoding === 'native') headers['idempotency-key'] = `bench-batch-${++batch}`;
      return handleRequest({ method: 'POST', path, headers, body }, deps);
    },
  };
}

export async function benchOtlp(
  options: { rounds?: number; batches?: number; passes?: number } = {},
): Promise<OtlpBenchResult> {
  const rounds = options.rounds ?? OTLP_BENCH_ROUNDS;
  const passes = options.passes ?? OTLP_BENCH_PASSES;
  const batches = benchEvents(options.batches ?? 6);
  const events = batches.length * OTLP_BATCH_EVENTS;
  const encoded = encodeBatches(batches);

  const validator = memoryValidator();
  const post = async (encoding: OtlpBenchEncoding, body: Buffer, count: number, status = 200) => {
    const { response, summary } = await validator.post(encoding, body);
    // OTLP answers 200 even when it rejects spans: every event must be accepted, or the paths differ.
    if (response.statusCode !== status || summary.eventsAccepted !== count) {
      throw new Error(
        `${encoding}: the validator answered ${response.statusCode} and accepted ${summary.eventsAccepted} of ${count} events: ${response.body.slice(0, 300)}`,
      );
    }
  };
  // The same batches with a line the contract refuses: the other 500 are accepted, packed again.
  const rewritten = batches.map((b) => gzipSync(`${ndjson(b)}{"model":1}\n`, { level: GZIP_LEVEL }));
  const refusedSpan = { ...(eventToSpan(batches[0]?.[0] as EventInput) as object), traceId: '0102' } as Json;
  const protobufRewritten = batches.map((b) => {
    const request = otlpJsonRequest(b);
    const [resource] = request.resourceSpans as { scopeSpans: { spans: Json[] }[] }[];
    resource?.scopeSpans[0]?.spans.push(refusedSpan);
    return gzipSync(protobufOf(request), { level: GZIP_LEVEL });
  });
  type Path = OtlpBenchEncoding | 'nativeRewritten' | 'protobufRewritten';
  const paths: readonly Path[] = ['native', 'protobuf', 'json', 'nativeRewritten', 'protobufRewritten'];
  // A sample is `passes` passes over the requests, timed in processor time of this process, not
  // the clock: what other work on the machine takes from it is not counted against either path
  // (all of its threads are, the collector's included). No collection is forced between samples:
  // a validator never has one, and one forced before each sample made the OTLP path's next pass
  // run at under half its speed (see docs/benchmarks.md). A sample long enough to see several
  // young collections pays for about as much garbage as it leaves to the next.
  const sample = async (path: Path): Promise<number> => {
    const start = process.cpuUsage();
    for (let pass = 0; pass < passes; pass++) {
      for (const [i, group] of batches.entries()) {
        if (path === 'nativeRewritten') await post('native', rewritten[i] as Buffer, group.length, 207);
        else if (path === 'protobufRewritten')
          await post('protobuf', protobufRewritten[i] as Buffer, group.length);
        else await post(path, encoded[path].bodies[i] as Buffer, group.length);
      }
    }
    const used = process.cpuUsage(start);
    return (passes * events) / ((used.user + used.system) / 1e6);
  };

  // Warm every path, then interleave the rounds so all of them see the same machine state.
  for (const path of paths) await sample(path);
  const rates: Record<Path, number[]> = {
    native: [],
    protobuf: [],
    json: [],
    nativeRewritten: [],
    protobufRewritten: [],
  };
  for (let r = 0; r < rounds; r++) for (const path of paths) rates[path].push(await sample(path));
  if (validator.records.length === 0) throw new Error('nothing reached the sink');

  const result = (encoding: OtlpBenchEncoding): OtlpEncodingResult => ({
    eventsPerSec: median(rates[encoding]),
    rawBytesPerEvent: encoded[encoding].rawBytesPerEvent,
    wireBytesPerEvent: encoded[encoding].wireBytesPerEvent,
  });
  return {
    batches: batches.length,
    eventsPerBatch: OTLP_BATCH_EVENTS,
    rounds,
    passes,
    cores: cpus().length,
    native: result('native'),
    protobuf: result('protobuf'),
    json: result('json'),
    nativeRewrittenEventsPerSec: median(rates.nativeRewritten),
    protobufRewrittenEventsPerSec: median(rates.protobufRewritten),
  };
}

const NATIVE_LIMIT_NAME = 'native gzip NDJSON, same events';

/** The figures: OTLP protobuf judged against the native path, OTLP JSON and the bytes for information. */
export function otlpFigures(r: OtlpBenchResult): BenchFigure[] {
  const benchmark = 'otlp';
  const native = { name: NATIVE_LIMIT_NAME, value: r.native.eventsPerSec, unit: 'events/s' };
  return [
    {
      benchmark,
      figure: 'native gzip NDJSON events/s, one core',
      value: r.native.eventsPerSec,
      unit: 'events/s',
    },
    againstLimit(
      {
        benchmark,
        figure: 'OTLP protobuf events/s, one core',
        value: r.protobuf.eventsPerSec,
        unit: 'events/s',
      },
      native,
      OTLP_TARGETS.ratioToNative,
    ),
    againstLimit(
      { benchmark, figure: 'OTLP JSON events/s, one core', value: r.json.eventsPerSec, unit: 'events/s' },
      native,
    ),
    againstLimit(
      {
        benchmark,
        figure: 'OTLP protobuf, one span a request refused (event lines compressed again)',
        value: r.protobufRewrittenEventsPerSec,
        unit: 'events/s',
      },
      { name: 'native, one bad line a request', value: r.nativeRewrittenEventsPerSec, unit: 'events/s' },
    ),
    againstLimit(
      {
        benchmark,
        figure: 'native, records compressed again (one bad line a request)',
        value: r.nativeRewrittenEventsPerSec,
        unit: 'events/s',
      },
      native,
    ),
    ...(['native', 'protobuf', 'json'] as const).map(
      (encoding): BenchFigure => ({
        benchmark,
        figure: `${ENCODING_LABELS[encoding]}: bytes per event on the wire (gzip)`,
        value: r[encoding].wireBytesPerEvent,
        unit: 'B',
      }),
    ),
  ];
}

const ENCODING_LABELS: Readonly<Record<OtlpBenchEncoding, string>> = {
  native: 'native gzip NDJSON',
  protobuf: 'OTLP protobuf',
  json: 'OTLP JSON',
};

/** The figures as text; true when the target is met. */
export function printOtlp(r: OtlpBenchResult, log: (line: string) => void = console.log): boolean {
  const ratio = r.protobuf.eventsPerSec / r.native.eventsPerSec;
  const met = ratio >= OTLP_TARGETS.ratioToNative;
  log(
    `\nOTLP against the native API, validator core on one core (machine of ${r.cores} cores), ${r.batches} requests of ${r.eventsPerBatch} events, samples of ${r.passes} passes, ${r.rounds} rounds, medians`,
  );
  const rows = (['native', 'protobuf', 'json'] as const).map((encoding) => [
    ENCODING_LABELS[encoding],
    `${formatInteger(r[encoding].eventsPerSec)} events/s`,
    `${formatNumber(r[encoding].eventsPerSec / r.native.eventsPerSec)}× native`,
    `${formatInteger(r[encoding].rawBytesPerEvent)} B/event raw`,
    `${formatInteger(r[encoding].wireBytesPerEvent)} B/event gzip`,
  ]);
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  for (const row of rows)
    log(
      `  ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`,
    );
  log(
    `  one event a request refused (accepted events written as lines and compressed again): native ${formatInteger(r.nativeRewrittenEventsPerSec)} events/s, ${formatNumber(r.nativeRewrittenEventsPerSec / r.native.eventsPerSec)}× native; OTLP protobuf ${formatInteger(r.protobufRewrittenEventsPerSec)} events/s, ${formatNumber(r.protobufRewrittenEventsPerSec / r.nativeRewrittenEventsPerSec)}× that`,
  );
  log(
    `  OTLP protobuf ÷ native: ${ratio.toFixed(2)}  target >= ${OTLP_TARGETS.ratioToNative}: ${verdict(met)}`,
  );
  return met;
}
