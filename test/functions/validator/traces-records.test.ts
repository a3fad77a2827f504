import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeArchiveObject,
  decodeStreamRecord,
  OTLP_RECORD_FORMAT,
  STREAM_RECORD_FORMAT,
} from '../../../functions/shared/contract/stream-record.js';
import { parseModelPrices } from '../../../functions/shared/model-prices.js';
import { otlpHeaderLine, otlpRecordData } from '../../helpers/otlp-record.js';
import { harness, NOW } from '../../helpers/validator-harness.js';
import { type Json, jsonBytes, jsonRequest, jsonSpan, protobufBytes } from './otlp/otlp-fixtures.js';

/**
 * What `POST /v1/traces` puts on the stream: an export whose spans were all accepted travels as
 * the exporter sent it (`evalforge.otlp/v1`), and reads back as the same events the re-encoded
 * path writes; anything else is written as event lines.
 */

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const LLM = {
  'gen_ai.request.model': 'gpt-4o-mini-2024-07-18',
  'gen_ai.usage.input_tokens': 1_200,
  'gen_ai.usage.output_tokens': 300,
  'gen_ai.input.messages': JSON.stringify([
    { role: 'user', parts: [{ type: 'text', content: 'hi\nthere' }] },
  ]),
};
const startNs = (ms: number) => String(BigInt(ms) * 1_000_000n);
const spanAt = (k: number, attributes: Record<string, unknown> = LLM): Json =>
  jsonSpan(
    {
      spanId: (k + 1).toString(16).padStart(16, '0'),
      startTimeUnixNano: startNs(NOW - 60_000 - k),
      endTimeUnixNano: startNs(NOW - 59_000 - k),
    },
    attributes,
  );

async function send(body: Uint8Array, headers: Record<string, string>, prices?: string) {
  const h = harness(prices ? { deps: { modelPrices: parseModelPrices(prices, 'test') } } : {});
  const result = await h.send({
    path: '/v1/traces',
    body: Buffer.from(body),
    headers: { authorization: `Bearer ${h.key}`, ...headers },
  });
  return { h, ...result };
}

describe('OTLP records on the stream', () => {
  it('forwards a gzip protobuf export whose spans were all accepted as sent, with the prices it used', async () => {
    const body = gzipSync(protobufBytes(jsonRequest([spanAt(0), spanAt(1)])));
    const { h, response, summary } = await send(body, {
      'content-type': PROTOBUF,
      'content-encoding': 'gzip',
    });
    expect(response.statusCode).toBe(200);
    expect(summary).toMatchObject({ eventsAccepted: 2, records: 1, passThrough: true });
    const [record] = h.written;
    // The exporter's bytes are in the record unchanged: nothing was compressed again.
    expect(Buffer.from(record?.data ?? []).includes(body)).toBe(true);
    const decoded = decodeStreamRecord(record?.data ?? new Uint8Array());
    expect(decoded.header).toMatchObject({
      format: OTLP_RECORD_FORMAT,
      project_id: 'proj-a',
      encoding: 'protobuf',
      bytes: gunzipSync(body).length,
      events: 2,
      prices: { 'gpt-4o-mini': { inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6 } },
    });
    expect(decoded.rejected).toEqual([]);
    for (const line of decoded.lines) expect(JSON.parse(line).cost_cents).toBeCloseTo(0.036, 12);
    expect(decoded.lines).toHaveLength(2);
  });

  it.each([
    ['a partial success', [spanAt(0), jsonSpan({ traceId: '0102', spanId: 'aaaaaaaaaaaaaaaa' }, LLM)], true],
    ['an export that is not gzip', [spanAt(0)], false],
  ] as const)('writes event lines for %s', async (_, spans, gzip) => {
    const plain = protobufBytes(jsonRequest([...spans]));
    const { h, summary } = await send(gzip ? gzipSync(plain) : plain, {
      'content-type': PROTOBUF,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    expect(summary).toMatchObject({ eventsAccepted: 1, passThrough: false });
    const decoded = decodeStreamRecord(h.written[0]?.data ?? new Uint8Array());
    expect(decoded.header.format).toBe(STREAM_RECORD_FORMAT);
    expect(decoded.lines).toHaveLength(1);
  });

  it('reads an OTLP record back as the very lines the re-encoding path writes, for either encoding', async () => {
    const request = jsonRequest([spanAt(0), spanAt(1, { 'tool.name': 'search', 'service.name': 'x' })]);
    const lines = async (body: Uint8Array, type: string, gzip: boolean) => {
      const { h } = await send(gzip ? gzipSync(body) : body, {
        'content-type': type,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      return h.written.flatMap((r) => decodeStreamRecord(r.data).lines);
    };
    const reencoded = await lines(protobufBytes(request), PROTOBUF, false);
    expect(reencoded).toHaveLength(2);
    expect(await lines(protobufBytes(request), PROTOBUF, true)).toEqual(reencoded);
    expect(await lines(jsonBytes(request), JSON_TYPE, true)).toEqual(reencoded);
  });

  it('prices read-back spans from the header, whatever the reader’s own table says', async () => {
    const body = gzipSync(protobufBytes(jsonRequest([spanAt(0)])));
    const { h } = await send(
      body,
      { 'content-type': PROTOBUF, 'content-encoding': 'gzip' },
      '{"gpt-4o-mini": {"inputUsdPerMTok": 1, "outputUsdPerMTok": 2}}',
    );
    const decoded = decodeStreamRecord(h.written[0]?.data ?? new Uint8Array());
    expect(decoded.header).toMatchObject({ prices: { 'gpt-4o-mini': { inputUsdPerMTok: 1 } } });
    expect(JSON.parse(decoded.lines[0] ?? '{}').cost_cents).toBeCloseTo(0.18, 9);
  });

  it('refuses a gzip body with bytes after its gzip data, which would hide the records after it in the archive', async () => {
    const body = Buffer.concat([gzipSync(protobufBytes(jsonRequest([spanAt(0)]))), Buffer.alloc(8)]);
    const { h, response } = await send(body, { 'content-type': PROTOBUF, 'content-encoding': 'gzip' });
    expect(response.statusCode).toBe(400);
    // A google.rpc.Status in protobuf: its message is UTF-8 among the bytes.
    expect(Buffer.from(response.body, 'base64').toString('latin1')).toContain(
      'the body has 8 bytes after the end of its gzip data',
    );
    expect(h.written).toHaveLength(0);
  });
});

describe('decodeStreamRecord and decodeArchiveObject on OTLP records', () => {
  const header = (fields: Record<string, unknown>) =>
    otlpHeaderLine({ received_at: new Date(NOW).toISOString(), ...fields });
  const exportBytes = Buffer.from(protobufBytes(jsonRequest([spanAt(0)])));
  const record = (fields: Record<string, unknown>, body: Buffer = exportBytes) =>
    otlpRecordData(body, { received_at: new Date(NOW).toISOString(), ...fields });

  it.each([
    ['an export shorter than announced', { bytes: exportBytes.length + 10 }, 'announces an OTLP export of'],
    ['an unknown encoding', { encoding: 'avro' }, 'encoding'],
    ['a negative length', { bytes: -1 }, 'bytes'],
    ['prices that are not a price table', { prices: { 'gpt-4o': { inputUsdPerMTok: -1 } } }, 'prices'],
  ])('refuses %s, naming it', (_, fields, words) => {
    expect(() => decodeStreamRecord(record(fields))).toThrow(words);
  });

  it('refuses bytes after the export and an export that is not protobuf', () => {
    const withTail = gzipSync(
      Buffer.concat([
        Buffer.from(header({ bytes: exportBytes.length })),
        exportBytes,
        Buffer.from('\n{"x":1}\n'),
      ]),
    );
    expect(() => decodeStreamRecord(withTail)).toThrow('bytes after its OTLP export');
    expect(() => decodeStreamRecord(record({}, Buffer.from([0xff, 0xff, 0xff])))).toThrow(
      'OTLP export cannot be read',
    );
  });

  it('reads an archive object of OTLP and batch records back to back, whatever bytes the exports hold', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('otlp'), fc.constant('batch')), { minLength: 1, maxLength: 6 }),
        fc.string({ minLength: 0, maxLength: 40 }),
        (kinds, name) => {
          // Span names with newlines and header-like text end up inside the protobuf bytes.
          const body = Buffer.from(
            protobufBytes(
              jsonRequest([
                jsonSpan({ ...(spanAt(0) as object), name: `\n{"format":"evalforge.${name}` }, LLM),
              ]),
            ),
          );
          const parts = kinds.map((kind, i) =>
            kind === 'otlp'
              ? Buffer.concat([
                  Buffer.from(header({ bytes: body.length, request_id: `r${i}` })),
                  body,
                  Buffer.from('\n'),
                ])
              : Buffer.from(
                  `${JSON.stringify({ format: STREAM_RECORD_FORMAT, project_id: 'proj-b', key_id: 'k', received_at: new Date(NOW).toISOString(), request_id: `r${i}`, request_key: 'b'.repeat(64), part: 0, events: 2 })}\n{"model":"m","n":1}\n{"model":"m","n":2}\n`,
                ),
          );
          const records = decodeArchiveObject(gunzipSync(Buffer.concat(parts.map((p) => gzipSync(p)))));
          expect(records.map((r) => r.header.request_id)).toEqual(kinds.map((_, i) => `r${i}`));
          expect(records.map((r) => r.lines.length)).toEqual(kinds.map((k) => (k === 'otlp' ? 1 : 2)));
        },
      ),
      { numRuns: 50 },
    );
  });
});
