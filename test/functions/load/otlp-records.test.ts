import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClickHouseLoaderStore } from '../../../functions/shared/load/clickhouse-store.js';
import { type LoadBatch, loadBatch } from '../../../functions/shared/load/core.js';
import { embeddedClickHouse, rows } from '../../helpers/clickhouse.js';
import { otlpRecordData } from '../../helpers/otlp-record.js';
import { harness } from '../../helpers/validator-harness.js';
import { type Json, jsonRequest, jsonSpan, protobufBytes } from '../validator/otlp/otlp-fixtures.js';

/**
 * The loader on OTLP records (`evalforge.otlp/v1`, an export as the exporter sent it): the rows
 * are the ones the re-encoded path gives, and a span the loader's mapping refuses is a dead letter
 * while the record's other spans load.
 */

// The real clock: the tables' TTLs drop older rows.
const NOW = Math.floor(Date.now() / 1000) * 1000;
let ch: Awaited<ReturnType<typeof embeddedClickHouse>>;
let client: ClickHouseClient;
let store: ClickHouseLoaderStore;
let seq = 0;

beforeAll(async () => {
  ch = await embeddedClickHouse();
  client = ch.client;
  store = new ClickHouseLoaderStore(client);
});
afterAll(async () => ch.close());
beforeEach(async () => {
  for (const table of ['events', 'events_minute', 'loaded_requests', 'load_dead_letters']) {
    await client.command({ query: `TRUNCATE TABLE ${table}` });
  }
});

const LLM = {
  'gen_ai.request.model': 'claude-3-5-haiku-20241022',
  'gen_ai.usage.input_tokens': 2_000,
  'gen_ai.usage.output_tokens': 500,
  'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hello' }] }]),
  'session.id': 'sess-1',
  'deployment.environment': 'prod',
};
const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
const spans = (n: number, traceId: string): Json[] =>
  Array.from({ length: n }, (_, k) =>
    jsonSpan(
      {
        traceId,
        spanId: (k + 1).toString(16).padStart(16, '0'),
        startTimeUnixNano: ns(NOW - 120_000 + k),
        endTimeUnixNano: ns(NOW - 119_000 + k),
      },
      LLM,
    ),
  );

/** The records the validator writes for an export, with the validator's clock at NOW. */
async function validatorRecords(body: Uint8Array, gzip: boolean) {
  const h = harness({ deps: { now: () => NOW } });
  const { response } = await h.send({
    path: '/v1/traces',
    body: gzip ? gzipSync(body) : Buffer.from(body),
    headers: {
      authorization: `Bearer ${h.key}`,
      'content-type': 'application/x-protobuf',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
  });
  expect(response.statusCode).toBe(200);
  return h.written.map((r) => ({ data: Buffer.from(r.data), sequenceNumber: String(++seq) }));
}

/** An OTLP record written by hand: what a validator running other code could have written. */
const otlpRecord = (body: Buffer, events: number, requestId: string): Buffer =>
  otlpRecordData(body, {
    received_at: new Date(NOW).toISOString(),
    request_id: requestId,
    request_key: Buffer.from(requestId).toString('hex').padEnd(64, '0'),
    events,
  });

const batch = (records: LoadBatch['records']): LoadBatch => ({
  source: 'arn:aws:kinesis:us-east-1:111111111111:stream/evalforge-events/shardId-000000000001',
  records,
});

const stored = (traceId: string) =>
  rows<Record<string, unknown>>(
    client,
    `SELECT span_id, model, input_tokens, output_tokens, cost_cents, session_id, prompt, toString(metadata) AS metadata
       FROM events WHERE trace_id = '${traceId}' ORDER BY span_id`,
  );

describe('loadBatch on OTLP records', () => {
  it('loads an export forwarded as sent into the rows the re-encoded path gives', async () => {
    const forwarded = await validatorRecords(protobufBytes(jsonRequest(spans(3, 'a'.repeat(32)))), true);
    const reencoded = await validatorRecords(protobufBytes(jsonRequest(spans(3, 'b'.repeat(32)))), false);
    const summary = await loadBatch(batch([...forwarded, ...reencoded]), { store, now: () => NOW });
    expect(summary).toMatchObject({ events: 6, deadLetters: 0, deadRecords: 0 });
    const a = await stored('a'.repeat(32));
    expect(a).toHaveLength(3);
    expect(a).toEqual(await stored('b'.repeat(32)));
    expect(a[0]).toMatchObject({
      model: 'claude-3-5-haiku-20241022',
      input_tokens: 2_000,
      session_id: 'sess-1',
    });
    // 2,000 × $0.80 + 500 × $4 per million tokens: $0.0036.
    expect(Number(a[0]?.cost_cents)).toBeCloseTo(0.36, 9);
  });

  it('loads a resent export once', async () => {
    const body = protobufBytes(jsonRequest(spans(2, 'c'.repeat(32))));
    await loadBatch(batch(await validatorRecords(body, true)), { store, now: () => NOW });
    const again = await loadBatch(batch(await validatorRecords(body, true)), { store, now: () => NOW });
    expect(again).toMatchObject({ events: 0, duplicateEvents: 2 });
    expect(await stored('c'.repeat(32))).toHaveLength(2);
  });

  it('sets aside the spans its mapping refuses, with the record and the reason, and loads the others', async () => {
    // What a validator of other code could have accepted: a span with a 2-byte trace id.
    const good = spans(1, 'd'.repeat(32));
    const bad = jsonSpan({ traceId: '0102', spanId: '00000000000000ff' }, LLM);
    const data = otlpRecord(Buffer.from(protobufBytes(jsonRequest([...good, bad]))), 2, 'req-skew');
    const summary = await loadBatch(batch([{ data, sequenceNumber: String(++seq) }]), {
      store,
      now: () => NOW,
    });
    expect(summary).toMatchObject({ events: 1, deadLetters: 1, deadRecords: 0 });
    expect(await stored('d'.repeat(32))).toHaveLength(1);
    const [letter] = await rows<{ reason: string; request_id: string; data_base64: string }>(
      client,
      'SELECT reason, request_id, data_base64 FROM load_dead_letters',
    );
    expect(letter?.reason).toContain('1 of 2 spans of this OTLP record cannot be events');
    expect(letter?.reason).toContain('traceId: must be 16 bytes');
    expect(letter?.request_id).toBe('req-skew');
    expect(Buffer.from(letter?.data_base64 ?? '', 'base64')).toEqual(data);
  });

  it('sets a record aside whole when its header counts other spans than its export holds', async () => {
    const data = otlpRecord(
      Buffer.from(protobufBytes(jsonRequest(spans(2, 'f'.repeat(32))))),
      3,
      'req-count',
    );
    const summary = await loadBatch(batch([{ data, sequenceNumber: String(++seq) }]), {
      store,
      now: () => NOW,
    });
    expect(summary).toMatchObject({ events: 0, deadLetters: 1, deadRecords: 1 });
  });
});
