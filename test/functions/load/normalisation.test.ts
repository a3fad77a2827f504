import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEvent, type NormalizedEvent } from '../../../functions/shared/contract/event.js';
import { encodeHeaderLine } from '../../../functions/shared/contract/stream-record.js';
import { ClickHouseLoaderStore } from '../../../functions/shared/load/clickhouse-store.js';
import { loadBatch } from '../../../functions/shared/load/core.js';
import { embeddedClickHouse, rows } from '../../helpers/clickhouse.js';

/**
 * The contract normalises in two places: `checkEvent` in TypeScript, and the `events_ingest_mv`
 * view in SQL, which is what the loader relies on. Whatever valid event a client sends, the row in
 * ClickHouse must be what `checkEvent` says it is.
 */

let ch: Awaited<ReturnType<typeof embeddedClickHouse>>;
beforeAll(async () => {
  ch = await embeddedClickHouse();
});
afterAll(async () => ch.close());

const NOW = Date.now();
const hexString = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length });
const uuid = fc.uuid().map((u) => u.toUpperCase());
const nonZero = (s: string) => /[1-9a-fA-F]/.test(s);
const traceId = fc.oneof(hexString(32), uuid).filter(nonZero);
const spanId = fc.oneof(hexString(16), hexString(32), uuid).filter(nonZero);
const offset = fc
  .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 30, 45))
  .map(([sign, h, m]) => `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const recentMs = fc.integer({ min: NOW - 30 * 86_400_000, max: NOW });
const timestamp = fc.oneof(
  recentMs,
  fc
    .tuple(recentMs, fc.constantFrom('Z', '+00:00'), fc.integer({ min: 0, max: 9 }))
    .map(([ms, zone, digits]) => {
      const iso = new Date(ms).toISOString();
      return `${iso.slice(0, 19)}${digits === 0 ? '' : `.${'123456789'.slice(0, digits)}`}${zone}`;
    }),
  fc.tuple(recentMs, offset).map(([ms, zone]) => {
    const sign = zone.startsWith('-') ? -1 : 1;
    const shift = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    return `${new Date(ms + shift).toISOString().slice(0, 23)}${zone}`;
  }),
);
const text = (max: number) => fc.string({ unit: 'grapheme', maxLength: max });
const metadataValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((d) => !Object.is(d, -0)),
  fc.boolean(),
);
const key = fc.string({ unit: fc.constantFrom(...'abcdefghij_'), minLength: 1, maxLength: 6 });
const metadata = fc.dictionary(
  key,
  fc.oneof(metadataValue, fc.dictionary(key, metadataValue, { minKeys: 1, maxKeys: 3 })),
  { maxKeys: 5 },
);

const validEvent = fc
  .record(
    {
      trace_id: traceId,
      span_id: spanId,
      parent_span_id: fc.oneof(fc.constant(null), spanId),
      timestamp,
      project_id: fc.constant('proj-a'),
      name: text(20),
      model: text(20).filter((m) => m.length > 0),
      input_tokens: fc.integer({ min: 0, max: 100_000 }),
      output_tokens: fc.integer({ min: 0, max: 100_000 }),
      latency_ms: fc.double({ min: 0, max: 86_400_000, noNaN: true }).filter((d) => !Object.is(d, -0)),
      cost_cents: fc.double({ min: 0, max: 1e6, noNaN: true }).filter((d) => !Object.is(d, -0)),
      user_id: text(10),
      session_id: text(10),
      tags: fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 6 }),
      metadata,
      prompt: fc.oneof(
        text(60),
        fc.array(fc.record({ role: fc.constantFrom('system', 'user'), content: text(30) }), { maxLength: 3 }),
      ),
      response: text(60),
    },
    { requiredKeys: ['trace_id', 'span_id', 'timestamp', 'model', 'latency_ms'] },
  )
  .chain((e) =>
    fc
      .record({
        extraTokens: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
        failed: fc.boolean(),
        message: text(30),
      })
      .map(({ extraTokens, failed, message }) => ({
        ...e,
        ...(extraTokens === undefined
          ? {}
          : { tokens_used: (e.input_tokens ?? 0) + (e.output_tokens ?? 0) + extraTokens }),
        ...(failed
          ? { status: 'error', error_message: message }
          : fc.sample(fc.constantFrom({}, { status: 'ok' }), 1)[0]),
      })),
  );

type Row = Omit<NormalizedEvent, 'timestamp'> & { timestamp: string };

let request = 0;
describe('the SQL normalisation in events_ingest_mv', () => {
  it('stores every valid event exactly as checkEvent normalises it', async () => {
    const store = new ClickHouseLoaderStore(ch.client);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(validEvent, {
          minLength: 1,
          maxLength: 12,
          selector: (e) => `${e.trace_id}/${e.span_id}`.toLowerCase().replaceAll('-', ''),
        }),
        async (events) => {
          await ch.client.command({ query: 'TRUNCATE TABLE events' });
          const expected = events.map((e) => {
            const check = checkEvent(e, 'proj-a');
            if (!check.ok) throw new Error(`generator made an invalid event: ${check.reason}`);
            return check.event;
          });
          request++;
          const header = {
            format: 'evalforge.batch/v1' as const,
            project_id: 'proj-a',
            key_id: '0123456789abcdef',
            received_at: new Date(NOW).toISOString(),
            request_id: `r${request}`,
            request_key: request.toString(16).padStart(64, '0'),
            part: 0,
            events: events.length,
          };
          const data = gzipSync(encodeHeaderLine(header) + events.map((e) => JSON.stringify(e)).join('\n'));
          await loadBatch(
            { source: 'property', records: [{ data, sequenceNumber: String(request) }] },
            { store, now: () => NOW },
          );
          const stored = await rows<Row>(
            ch.client,
            `SELECT project_id, timestamp, trace_id, span_id, parent_span_id, name, model, input_tokens, output_tokens,
                    tokens_used, latency_ms, cost_cents, status, error_message, user_id, session_id, tags, metadata,
                    prompt, response
             FROM events`,
          );
          const byId = new Map(stored.map((r) => [`${r.trace_id}/${r.span_id}`, r]));
          expect(stored).toHaveLength(expected.length);
          for (const want of expected) {
            const got = byId.get(`${want.trace_id}/${want.span_id}`);
            expect(got).toBeDefined();
            expect({ ...got, timestamp: `${got?.timestamp.replace(' ', 'T')}Z` }).toEqual(want);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
