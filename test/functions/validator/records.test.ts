import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeStreamRecord } from '../../../functions/shared/contract/stream-record.js';
import {
  type AcceptedLine,
  DEFAULT_PACK_OPTIONS,
  type PackOptions,
  packLines,
  packPassThrough,
} from '../../../functions/validator/records.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';

const HEADER = {
  format: 'evalforge.batch/v1',
  project_id: 'demo-project',
  key_id: '0123456789abcdef',
  received_at: '2026-01-02T03:04:05.678Z',
  request_id: 'b3c1a6f0d2e94c7d8e1f203a4b5c6d7e',
  request_key: '5f1c0e4b9a2d8c7e6f3b1a0d9c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e',
} as const;

const SMALL: PackOptions = { maxRecordBytes: 4_096, rawBytesPerRecord: 16_384, gzipLevel: 1 };

function eventText(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    trace_id: `${i.toString(16).padStart(8, '0')}${'a'.repeat(24)}`,
    span_id: `${i.toString(16).padStart(4, '0')}${'b'.repeat(12)}`,
    timestamp: '2026-01-02T03:04:05.000Z',
    model: 'gpt-4o-mini',
    latency_ms: 100 + i,
    prompt: `question ${i}`,
    response: `answer ${i}`,
    ...extra,
  });
}

/** An event whose text does not compress: random bytes, base64, in the prompt. */
function incompressible(index: number, bytes: number): AcceptedLine {
  return { index, text: eventText(index, { prompt: randomBytes(bytes).toString('base64') }) };
}

describe('packPassThrough', () => {
  const lines = [eventText(0), eventText(1), eventText(2)];
  const body = gzipSync(`${lines.join('\n')}\n`);

  it('forwards the gzip body after a header member, decoding to the header and the original lines', () => {
    const packed = packPassThrough(HEADER, body, [0, 1, 2]);

    expect(packed?.eventIndexes).toEqual([0, 1, 2]);
    const decoded = decodeStreamRecord(packed?.data ?? Buffer.alloc(0));
    expect(decoded.header).toEqual({ ...HEADER, part: 0, events: 3 });
    expect(decoded.lines).toEqual(lines);
    // The client's compressed bytes are kept as they are.
    expect(packed?.data.includes(body)).toBe(true);
  });

  it('keeps a body without a final newline intact', () => {
    const packed = packPassThrough(HEADER, gzipSync(lines.join('\n')), [0, 1, 2]);

    expect(decodeStreamRecord(packed?.data ?? Buffer.alloc(0)).lines).toEqual(lines);
  });

  it.each([
    ['fits exactly', 0, true],
    ['fails when one byte over', -1, false],
  ])('%s at maxRecordBytes', (_name, slack, fits) => {
    const size = packPassThrough(HEADER, body, [0, 1, 2])?.data.length ?? 0;
    expect(size).toBeGreaterThan(body.length);

    const packed = packPassThrough(HEADER, body, [0, 1, 2], size + slack);

    expect(packed !== undefined).toBe(fits);
  });
});

describe('packLines', () => {
  it('packs small events into one record, all of them, in order', () => {
    // Indexes skip the events the request rejected.
    const lines: AcceptedLine[] = [0, 2, 3, 5, 8].map((index) => ({ index, text: eventText(index) }));

    const { records, tooLarge } = packLines(HEADER, lines, SMALL);

    expect(tooLarge).toEqual([]);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record?.eventIndexes).toEqual([0, 2, 3, 5, 8]);
    expect(record?.data.length).toBeLessThanOrEqual(SMALL.maxRecordBytes);
    const decoded = decodeStreamRecord(record?.data ?? Buffer.alloc(0));
    expect(decoded.header).toEqual({ ...HEADER, part: 0, events: 5 });
    expect(decoded.lines).toEqual(lines.map((l) => l.text));
  });

  it('splits incompressible events into records that each fit, carrying every event once, in order', () => {
    const lines = Array.from({ length: 12 }, (_, i) => incompressible(i, 900));

    const { records, tooLarge } = packLines(HEADER, lines, SMALL);

    expect(tooLarge).toEqual([]);
    expect(records.length).toBeGreaterThan(1);
    for (const [part, record] of records.entries()) {
      expect(record.data.length).toBeLessThanOrEqual(SMALL.maxRecordBytes);
      const decoded = decodeStreamRecord(record.data);
      expect(decoded.header).toEqual({ ...HEADER, part, events: record.eventIndexes.length });
      expect(decoded.lines).toEqual(record.eventIndexes.map((i) => lines[i]?.text));
    }
    expect(records.flatMap((r) => r.eventIndexes)).toEqual(lines.map((l) => l.index));
  });

  it('starts a new record when a group reaches rawBytesPerRecord, before compressing', () => {
    const lines = Array.from({ length: 10 }, (_, index) => ({ index, text: 'x'.repeat(100) }));

    const { records } = packLines(HEADER, lines, { ...SMALL, rawBytesPerRecord: 350 });

    expect(records.map((r) => r.eventIndexes)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
  });

  it('fails an event too large for a record alone, and still packs the others', () => {
    const lines = [
      { index: 0, text: eventText(0) },
      incompressible(1, 8_000),
      { index: 2, text: eventText(2) },
    ];

    const { records, tooLarge } = packLines(HEADER, lines, SMALL);

    expect(tooLarge).toEqual([1]);
    expect(records.flatMap((r) => r.eventIndexes)).toEqual([0, 2]);
    expect(records.flatMap((r) => decodeStreamRecord(r.data).lines)).toEqual([eventText(0), eventText(2)]);
  });

  it('fails every event when each is too large alone', () => {
    const lines = [incompressible(4, 8_000), incompressible(7, 8_000)];

    expect(packLines(HEADER, lines, SMALL)).toEqual({ records: [], tooLarge: [4, 7] });
  });

  it('cuts lines that overflow one record into equal groups sized by their ratio, each compressed once', () => {
    // ~5.5 MB of generated events at ~2.65:1 (level 1) is ~2.1 MB compressed: three groups of a
    // third each at 90% of the limit. 3 MiB groups split in two on overflow came out uneven.
    const generator = eventGenerator({ seed: 3 });
    const lines = Array.from({ length: 1_000 }, (_, index) => ({
      index,
      text: JSON.stringify(generator.next()),
    }));

    const { records, tooLarge } = packLines(HEADER, lines, DEFAULT_PACK_OPTIONS);

    expect(tooLarge).toEqual([]);
    expect(records).toHaveLength(3);
    for (const record of records) expect(record.eventIndexes.length).toBeGreaterThanOrEqual(332);
    for (const record of records)
      expect(record.data.length).toBeLessThanOrEqual(DEFAULT_PACK_OPTIONS.maxRecordBytes);
    expect(records.flatMap((r) => r.eventIndexes)).toEqual(lines.map((l) => l.index));
  });

  it('packs nothing when there are no lines', () => {
    expect(packLines(HEADER, [], SMALL)).toEqual({ records: [], tooLarge: [] });
  });
});

describe('records back to back, as Firehose archives them', () => {
  // Firehose writes records one after another into one object, and concatenated gzip members are
  // one gzip stream: the object must read as the records' NDJSON lines, every header on its own line.
  const first = [eventText(0), eventText(1)];
  const second = [eventText(2), eventText(3)];
  const other = { ...HEADER, request_id: 'c4d2b7a1e3f05d8e9f2a314b5c6d7e8f' };

  it.each([
    [
      'packLines records',
      () => [
        packLines(
          HEADER,
          first.map((text, index) => ({ index, text })),
          SMALL,
        ).records,
        packLines(
          other,
          second.map((text, index) => ({ index, text })),
          SMALL,
        ).records,
      ],
    ],
    [
      'pass-through records of bodies ending in a newline',
      () => [
        [packPassThrough(HEADER, gzipSync(`${first.join('\n')}\n`), [0, 1])],
        [packPassThrough(other, gzipSync(`${second.join('\n')}\n`), [0, 1])],
      ],
    ],
    [
      'pass-through records of bodies without a final newline',
      () => [
        [packPassThrough(HEADER, gzipSync(first.join('\n')), [0, 1])],
        [packPassThrough(other, gzipSync(second.join('\n')), [0, 1])],
      ],
    ],
  ])('reads %s as one NDJSON stream', (_name, pack) => {
    const records = pack().flat();
    expect(records).toHaveLength(2);

    const archive = Buffer.concat(records.map((r) => r?.data ?? Buffer.alloc(0)));
    const lines = gunzipSync(archive)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');

    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { ...HEADER, part: 0, events: 2 },
      ...first.map((l) => JSON.parse(l)),
      { ...other, part: 0, events: 2 },
      ...second.map((l) => JSON.parse(l)),
    ]);
  });
});
