import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { figureCells } from '../../bench/figures.js';
import {
  benchEvents,
  encodeBatches,
  memoryValidator,
  ndjson,
  OTLP_BATCH_EVENTS,
  type OtlpBenchResult,
  otlpFigures,
  otlpJsonRequest,
  otlpProtobuf,
  printOtlp,
} from '../../bench/otlp.js';
import type { EventInput } from '../../functions/shared/contract/event.js';
import { decodeStreamRecord } from '../../functions/shared/contract/stream-record.js';
import { tracesToEvents } from '../../functions/shared/otlp/core.js';
import { decodeTraceRequest } from '../../functions/shared/otlp/decode.js';

const NOW = Date.parse('2026-01-31T12:00:00.123Z');
/** A few events of the benchmark's generator, one of them failed (the generator fails ~2%). */
function sample(): EventInput[] {
  const [events = []] = benchEvents(1, 7, () => NOW);
  const failed = events.find((e) => e.status === 'error');
  if (!failed) throw new Error('the sample has no failed event');
  return [...events.slice(0, 5), failed];
}

const decode = (body: Uint8Array, contentType: string) =>
  decodeTraceRequest(body, { contentType, maxDecodedBytes: 1 << 24 }).request;

describe.each([
  ['protobuf', (events: EventInput[]) => decode(otlpProtobuf(events), 'application/x-protobuf')],
  [
    'JSON',
    (events: EventInput[]) =>
      decode(Buffer.from(JSON.stringify(otlpJsonRequest(events))), 'application/json'),
  ],
] as const)('the OTLP %s encoding of the benchmark events', (_, decoded) => {
  it('decodes, and maps every span back to its event: ids, times, model, tokens, status, text, metadata', () => {
    const events = sample();
    const result = tracesToEvents(decoded(events), { projectId: 'acme', timeWindow: undefined });
    expect(result.rejected).toEqual([]);
    expect(result.events).toHaveLength(events.length);
    result.events.forEach((got, i) => {
      const sent = events[i] as EventInput;
      expect(got).toMatchObject({
        trace_id: sent.trace_id,
        span_id: sent.span_id,
        parent_span_id: '',
        timestamp: sent.timestamp,
        latency_ms: sent.latency_ms,
        model: sent.model,
        input_tokens: sent.input_tokens,
        output_tokens: sent.output_tokens,
        status: sent.status,
        session_id: sent.session_id,
        user_id: sent.user_id,
        tags: sent.tags,
      });
      expect(got.error_message).toBe(sent.error_message ?? '');
      // The conventions' messages, as JSON text, carry the event's text as sent.
      expect(JSON.parse(got.prompt ?? '')).toEqual([
        { role: 'user', parts: [{ type: 'text', content: sent.prompt }] },
      ]);
      expect(JSON.parse(got.response ?? '')[0].parts[0].content).toBe(sent.response);
      const { temperature, ...rest } = sent.metadata as Record<string, unknown>;
      expect(got.metadata).toMatchObject({
        attributes: { ...rest, gen_ai: { request: { temperature }, operation: { name: 'chat' } } },
        resource: { service: { name: 'support-assistant' } },
        span: { kind: 'client' },
      });
      // No cost is sent: the validator prices the tokens of the models in its table.
      if (sent.model.startsWith('gpt-')) {
        expect(got.cost_cents).toBeGreaterThan(0);
        expect(got.metadata).toMatchObject({ otlp: { cost_from: `price table: ${sent.model}` } });
      }
    });
    expect(events.some((e) => e.model.startsWith('gpt-'))).toBe(true);
  });
});

describe('encodeBatches', () => {
  it('writes native NDJSON as the SDK does: a line per event, each ending in a newline', () => {
    const events = sample();
    const text = ndjson(events);
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l)),
    ).toEqual(events);
  });

  it('gives the same events in each encoding, gzip, with bytes per event before and after', () => {
    const events = sample();
    const encoded = encodeBatches([events, events.slice(0, 2)]);
    expect(gunzipSync(encoded.native.bodies[1] as Buffer).toString()).toBe(ndjson(events.slice(0, 2)));
    expect(gunzipSync(encoded.protobuf.bodies[0] as Buffer)).toEqual(Buffer.from(otlpProtobuf(events)));
    for (const e of Object.values(encoded)) {
      expect(e.bodies).toHaveLength(2);
      expect(e.wireBytesPerEvent).toBeGreaterThan(0);
      expect(e.wireBytesPerEvent).toBeLessThan(e.rawBytesPerEvent);
    }
  });
});

describe('the benchmark requests through the validator core', () => {
  it.each(['native', 'protobuf', 'json'] as const)(
    'accepts every event of a %s request and writes them to the stream',
    async (encoding) => {
      const events = sample();
      const body = encodeBatches([events])[encoding].bodies[0] as Buffer;
      const validator = memoryValidator({ keepRecords: true });
      const { response, summary } = await validator.post(encoding, body);
      expect(response.statusCode).toBe(200);
      expect(summary).toMatchObject({ eventsAccepted: events.length, eventsRejected: 0 });
      const written = validator.records.flatMap((r) =>
        decodeStreamRecord(r).lines.map((l) => JSON.parse(l) as EventInput),
      );
      expect(written.map((e) => e.span_id)).toEqual(events.map((e) => e.span_id));
    },
  );
});

const result: OtlpBenchResult = {
  batches: 6,
  eventsPerBatch: OTLP_BATCH_EVENTS,
  rounds: 7,
  passes: 3,
  cores: 2,
  native: { eventsPerSec: 20_000, rawBytesPerEvent: 5_505, wireBytesPerEvent: 1_812 },
  protobuf: { eventsPerSec: 11_000, rawBytesPerEvent: 5_711, wireBytesPerEvent: 1_836 },
  json: { eventsPerSec: 4_000, rawBytesPerEvent: 6_397, wireBytesPerEvent: 1_852 },
  nativeRewrittenEventsPerSec: 7_000,
  protobufRewrittenEventsPerSec: 3_500,
};

describe('otlpFigures', () => {
  it('judges OTLP protobuf against the native path at 0.5, the rest for information', () => {
    expect(otlpFigures(result).map(figureCells)).toEqual([
      ['otlp', 'native gzip NDJSON events/s, one core', '20,000 events/s', '—', '—', '—', '—'],
      [
        'otlp',
        'OTLP protobuf events/s, one core',
        '11,000 events/s',
        '20,000 events/s (native gzip NDJSON, same events)',
        '0.55',
        '>= 0.5 of the limit',
        'met',
      ],
      [
        'otlp',
        'OTLP JSON events/s, one core',
        '4,000 events/s',
        '20,000 events/s (native gzip NDJSON, same events)',
        '0.20',
        '—',
        '—',
      ],
      [
        'otlp',
        'OTLP protobuf, one span a request refused (event lines compressed again)',
        '3,500 events/s',
        '7,000 events/s (native, one bad line a request)',
        '0.50',
        '—',
        '—',
      ],
      [
        'otlp',
        'native, records compressed again (one bad line a request)',
        '7,000 events/s',
        '20,000 events/s (native gzip NDJSON, same events)',
        '0.35',
        '—',
        '—',
      ],
      ['otlp', 'native gzip NDJSON: bytes per event on the wire (gzip)', '1,812 B', '—', '—', '—', '—'],
      ['otlp', 'OTLP protobuf: bytes per event on the wire (gzip)', '1,836 B', '—', '—', '—', '—'],
      ['otlp', 'OTLP JSON: bytes per event on the wire (gzip)', '1,852 B', '—', '—', '—', '—'],
    ]);
  });

  it('fails the target below half the native rate', () => {
    const slow = { ...result, protobuf: { ...result.protobuf, eventsPerSec: 9_999 } };
    expect(otlpFigures(slow)[1]?.target).toEqual({ text: '>= 0.5 of the limit', met: false });
  });
});

describe('printOtlp', () => {
  it('prints each encoding, the machine, and the ratio with its verdict', () => {
    const lines: string[] = [];
    expect(printOtlp(result, (l) => lines.push(l))).toBe(true);
    const text = lines.join('\n');
    expect(text).toContain('machine of 2 cores');
    expect(text).toMatch(
      /OTLP protobuf +11,000 events\/s +0\.55× native +5,711 B\/event raw +1,836 B\/event gzip/,
    );
    expect(text).toContain('OTLP protobuf ÷ native: 0.55  target >= 0.5: met');
    expect(
      printOtlp({ ...result, protobuf: { ...result.protobuf, eventsPerSec: 5_000 } }, () => undefined),
    ).toBe(false);
  });
});
