import { gzipSync } from 'node:zlib';
import {
  type AnyStreamRecordHeader,
  encodeHeaderLine,
  gzipHeaderMember,
  MAX_STREAM_RECORD_BYTES,
  OTLP_RECORD_FORMAT,
  type OtlpRecordHeader,
  type StreamRecordHeader,
} from '../shared/contract/stream-record.js';

/** Why an event is refused when even alone it does not fit a record: the subject comes first. */
export const TOO_LARGE_FOR_A_RECORD = `does not fit in one stream record (${MAX_STREAM_RECORD_BYTES} bytes compressed)`;

/** One stream record and the request's events it carries. */
export interface PackedRecord {
  readonly data: Buffer;
  readonly eventIndexes: readonly number[];
}

/** An accepted event as it will be written: its request index and its JSON text. */
export interface AcceptedLine {
  readonly index: number;
  readonly text: string;
}

export interface PackOptions {
  readonly maxRecordBytes: number;
  /**
   * The most uncompressed bytes in one record. Within it a request's lines are grouped by the
   * ratio a sample of them compresses at (`packLines`), so that each group lands under
   * `maxRecordBytes` compressed once; a group that does not is split in two.
   */
  readonly rawBytesPerRecord: number;
  /** zlib level when the validator must compress: 1 is ~5x faster than 6 and ~30% larger. */
  readonly gzipLevel: number;
}

export const DEFAULT_PACK_OPTIONS: PackOptions = {
  maxRecordBytes: MAX_STREAM_RECORD_BYTES,
  rawBytesPerRecord: 3 * 1024 * 1024,
  gzipLevel: 1,
};

type HeaderFields = Omit<StreamRecordHeader, 'events' | 'part'>;

/** A gzip member holding one newline: every record ends a line, whatever the client sent. */
const NEWLINE_MEMBER = gzipSync('\n');

/**
 * The fast path: every event of a gzip NDJSON request was accepted, so the record is a gzip
 * member with the header followed by the request body as received. No compression is redone.
 * Returns `undefined` when the result would not fit in one record.
 */
export function packPassThrough(
  header: HeaderFields,
  gzipBody: Buffer,
  eventIndexes: readonly number[],
  maxRecordBytes: number = MAX_STREAM_RECORD_BYTES,
): PackedRecord | undefined {
  return wrapBody(
    { ...header, part: 0, events: eventIndexes.length },
    gzipBody,
    eventIndexes,
    maxRecordBytes,
  );
}

/**
 * The same fast path for an OTLP export whose spans were all accepted: the header names the
 * export's encoding, its inflated length and the prices its spans were priced with, and the
 * exporter's gzip body follows as received (`OTLP_RECORD_FORMAT`). Returns `undefined` when the
 * result would not fit in one record.
 */
export function packOtlpPassThrough(
  header: HeaderFields,
  otlp: Pick<OtlpRecordHeader, 'encoding' | 'bytes' | 'prices'>,
  gzipBody: Buffer,
  eventIndexes: readonly number[],
  maxRecordBytes: number = MAX_STREAM_RECORD_BYTES,
): PackedRecord | undefined {
  const full: OtlpRecordHeader = {
    ...header,
    format: OTLP_RECORD_FORMAT,
    encoding: otlp.encoding,
    bytes: otlp.bytes,
    prices: otlp.prices,
    part: 0,
    events: eventIndexes.length,
  };
  return wrapBody(full, gzipBody, eventIndexes, maxRecordBytes);
}

function wrapBody(
  header: AnyStreamRecordHeader,
  gzipBody: Buffer,
  eventIndexes: readonly number[],
  maxRecordBytes: number,
): PackedRecord | undefined {
  const head = gzipHeaderMember(header);
  if (head.length + gzipBody.length + NEWLINE_MEMBER.length > maxRecordBytes) return undefined;
  // The body may not end with a newline; Firehose puts records back to back in one object.
  return { data: Buffer.concat([head, gzipBody, NEWLINE_MEMBER]), eventIndexes };
}

/** Uncompressed bytes compressed on their own to estimate a request's ratio. */
const SAMPLE_BYTES = 64 * 1024;
/** Each group aims at this share of the record limit, so that a sample's estimate may be off. */
const FILL = 0.9;

/**
 * Packs accepted events into as few gzip NDJSON records as fit. An event too large for a
 * record even alone is returned in `tooLarge`, to be answered as rejected, never dropped.
 *
 * Compressing is most of the work, so each line should be compressed once: when the lines may
 * not fit one record, the first 64 KiB of them are compressed alone for the request's ratio, and
 * the lines are cut into groups of equal size that compress to about 90% of the limit at that
 * ratio. A group that still comes out over the limit is split in two and compressed again.
 */
export function packLines(
  header: HeaderFields,
  lines: readonly AcceptedLine[],
  options: PackOptions = DEFAULT_PACK_OPTIONS,
): { records: PackedRecord[]; tooLarge: number[] } {
  const records: PackedRecord[] = [];
  const tooLarge: number[] = [];

  const emit = (group: readonly AcceptedLine[]): void => {
    let text = encodeHeaderLine({ ...header, part: records.length, events: group.length });
    for (const line of group) text += `${line.text}\n`;
    const data = gzipSync(text, { level: options.gzipLevel });
    if (data.length <= options.maxRecordBytes) {
      records.push({ data, eventIndexes: group.map((l) => l.index) });
    } else if (group.length === 1) {
      tooLarge.push(group[0]?.index ?? -1);
    } else {
      const half = Math.ceil(group.length / 2);
      emit(group.slice(0, half));
      emit(group.slice(half));
    }
  };

  // String length is a lower bound of UTF-8 bytes; good enough to size a group. Groups are cut at
  // an equal share of the lines; the last one takes what is left up to the budget.
  const totalBytes = lines.reduce((n, line) => n + line.text.length + 1, 0);
  const budget = groupBudget(lines, totalBytes, options);
  const groups = Math.max(1, Math.ceil(totalBytes / budget));
  const share = totalBytes / groups;
  let group: AcceptedLine[] = [];
  let groupBytes = 0;
  for (const line of lines) {
    const after = groupBytes + line.text.length + 1;
    const last = records.length + tooLarge.length >= groups - 1;
    if (group.length > 0 && after > (last ? budget : share)) {
      emit(group);
      group = [];
      groupBytes = 0;
    }
    group.push(line);
    groupBytes += line.text.length + 1;
  }
  if (group.length > 0) emit(group);
  return { records, tooLarge };
}

/** The uncompressed bytes a group may hold: all of them when they cannot outgrow a record. */
function groupBudget(lines: readonly AcceptedLine[], totalBytes: number, options: PackOptions): number {
  const ceiling = options.rawBytesPerRecord;
  // gzip adds a few bytes to what it cannot shrink: well under 1% of a record.
  if (totalBytes <= options.maxRecordBytes * 0.99) return Math.max(1, Math.min(ceiling, totalBytes));
  let sample = '';
  for (const line of lines) {
    if (sample.length >= SAMPLE_BYTES) break;
    sample += `${line.text}\n`;
  }
  const ratio = sample.length / gzipSync(sample, { level: options.gzipLevel }).length;
  return Math.max(1, Math.min(ceiling, Math.floor(options.maxRecordBytes * FILL * ratio)));
}
