import { isAscii } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { type ModelPriceTable, PriceTableSchema } from '../model-prices.js';
import { otlpRequestLines } from '../otlp/record.js';

/**
 * The format of one Kinesis record, which Firehose archives as-is and the loader reads.
 *
 * A record is gzip. Inflated, it is NDJSON: one header line, then the events of one request
 * exactly as the client sent them (they passed the contract; consumers normalise them with
 * `checkEvent(event, header.project_id)`). Keeping the client's bytes is what lets the validator
 * forward a gzip NDJSON request without compressing it again: the record is a small gzip member
 * holding the header followed by the request body, and concatenated gzip members are one gzip
 * stream. Every record ends with a newline, so records that Firehose writes back to back into one
 * object read as one NDJSON stream of headers and events. Blank lines may occur and carry nothing.
 *
 * An OTLP trace export whose spans were all accepted travels the same way (`OTLP_RECORD_FORMAT`):
 * the header line, then the export exactly as the exporter sent it (`bytes` bytes of protobuf or
 * OTLP JSON, inflated), then a newline. Consumers turn its spans into the events' lines with the
 * validator's own mapping (`decodeStreamRecord` does), priced from the header's `prices`.
 */
export const STREAM_RECORD_FORMAT = 'evalforge.batch/v1';

/** Kinesis caps a record's data plus partition key at 1 MiB; partition keys (request keys) are 64 bytes, 256 at most. */
export const MAX_STREAM_RECORD_BYTES = 1_048_576 - 256;

export interface StreamRecordHeader {
  readonly format: typeof STREAM_RECORD_FORMAT;
  /** The project of the API key that sent the events: authoritative over any project_id in them. */
  readonly project_id: string;
  readonly key_id: string;
  /** ISO-8601, the validator's clock when the request arrived. */
  readonly received_at: string;
  readonly request_id: string;
  /**
   * Names the request for deduplication: a hash of the project and the client's Idempotency-Key,
   * or of the project and the body when there is none. A resend of a request that got no answer
   * carries the same key; the loader skips a (request_key, part) it has loaded before.
   */
  readonly request_key: string;
  /** Which of the request's records this is, from 0: a request split over records has several. */
  readonly part: number;
  /** How many event lines follow. */
  readonly events: number;
  /**
   * The project's home region, when its key names one: a record accepted in another region
   * travels through that region's transit stream to the home region's stream (functions/forward).
   */
  readonly home_region?: string;
}

/** The format of a record that carries an OTLP/HTTP trace export as sent. */
export const OTLP_RECORD_FORMAT = 'evalforge.otlp/v1';

/** The header of an OTLP record: a batch header's fields, and what the export needs to be read. */
export interface OtlpRecordHeader extends Omit<StreamRecordHeader, 'format'> {
  readonly format: typeof OTLP_RECORD_FORMAT;
  /** The export's encoding: OTLP/HTTP's `application/x-protobuf` or `application/json`. */
  readonly encoding: 'protobuf' | 'json';
  /** The export's length in bytes, inflated: the bytes after the header line that are the export. */
  readonly bytes: number;
  /**
   * The model prices the validator priced the spans with: only the entries it used, so that the
   * events read back, from the stream today or from the archive in a year, cost what was accepted.
   */
  readonly prices: ModelPriceTable;
}

/** Either header a record may start with. */
export type AnyStreamRecordHeader = StreamRecordHeader | OtlpRecordHeader;

/** A record read back: its header and its events' lines, as the loader takes them. */
export interface DecodedStreamRecord {
  readonly header: AnyStreamRecordHeader;
  /** The events' JSON lines: as the client sent them, or the OTLP export's spans as events. */
  readonly lines: string[];
  /**
   * Spans of an OTLP record the mapping refuses now, each with its reason. The validator accepted
   * every one, so this is empty unless the reading code differs from the code that accepted them.
   */
  readonly rejected: readonly string[];
}

const OtlpFields = z.object({
  encoding: z.enum(['protobuf', 'json']),
  bytes: z.number().int().min(0),
  prices: PriceTableSchema,
});

export class StreamRecordFormatError extends Error {
  override readonly name = 'StreamRecordFormatError';
}

export function encodeHeaderLine(header: AnyStreamRecordHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/** A gzip member holding only the header line; a gzip body may follow it unchanged. */
export function gzipHeaderMember(header: AnyStreamRecordHeader): Buffer {
  return gzipSync(encodeHeaderLine(header), { level: 1 });
}

/**
 * Reads a record back: its header and its non-blank event lines; an OTLP record's spans become
 * the events' lines. Throws `StreamRecordFormatError` for anything that is not a record.
 */
export function decodeStreamRecord(
  data: Uint8Array,
  options: { inflated?: boolean } = {},
): DecodedStreamRecord {
  let bytes: Buffer;
  if (options.inflated) bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  else {
    try {
      bytes = gunzipSync(data);
    } catch (error) {
      throw new StreamRecordFormatError(`stream record is not gzip: ${(error as Error).message}`);
    }
  }
  const [record, end] = readRecordAt(bytes, 0, true);
  if (bytes.subarray(end).toString('latin1').trim() !== '') {
    throw new StreamRecordFormatError('stream record holds bytes after its OTLP export');
  }
  return record;
}

/**
 * Every record of an archive object, inflated (records that Firehose wrote back to back): what
 * a reader of the raw archive, or a replay, iterates.
 */
export function decodeArchiveObject(inflated: Buffer): DecodedStreamRecord[] {
  const records: DecodedStreamRecord[] = [];
  let at = 0;
  while (at < inflated.length) {
    const newline = inflated.indexOf(0x0a, at);
    const end = newline === -1 ? inflated.length : newline;
    if (inflated.subarray(at, end).toString('latin1').trim() === '') {
      at = end + 1;
      continue;
    }
    const [record, next] = readRecordAt(inflated, at, false);
    records.push(record);
    at = next;
  }
  return records;
}

/** One record of an archive object, cut out of it without reading its events. */
export interface ArchiveRecordSlice {
  /** The record's bytes, inflated: its header line and what follows it, up to the next record. */
  readonly bytes: Buffer;
  /** Its header's project and arrival, when the header line is JSON with them; a record without is a dead letter. */
  readonly projectId?: string;
  readonly receivedAt?: string;
}

/**
 * Cuts an inflated archive object into its records, reading only their header lines: what a
 * replay hands the loader, which reads each record as it reads one from the stream
 * (`decodeStreamRecord(bytes, { inflated: true })`). A stretch that does not start with a header
 * line is kept as a record of its own, up to the next header line, so the loader sets it aside as
 * a dead letter with its bytes and the records around it still load.
 */
export function splitArchiveObject(inflated: Buffer): ArchiveRecordSlice[] {
  const slices: ArchiveRecordSlice[] = [];
  let at = 0;
  while (at < inflated.length) {
    const newline = inflated.indexOf(0x0a, at);
    const lineEnd = newline === -1 ? inflated.length : newline;
    if (inflated.subarray(at, lineEnd).toString('latin1').trim() === '') {
      at = lineEnd + 1;
      continue;
    }
    let header:
      | { format?: unknown; project_id?: unknown; received_at?: unknown; bytes?: unknown }
      | undefined;
    try {
      const parsed = JSON.parse(inflated.subarray(at, lineEnd).toString('utf8')) as unknown;
      if (parsed !== null && typeof parsed === 'object') header = parsed as typeof header;
    } catch {
      header = undefined;
    }
    const isHeader = header?.format === STREAM_RECORD_FORMAT || header?.format === OTLP_RECORD_FORMAT;
    let end: number;
    const exportBytes = header?.bytes;
    if (
      isHeader &&
      header?.format === OTLP_RECORD_FORMAT &&
      Number.isSafeInteger(exportBytes) &&
      (exportBytes as number) >= 0 &&
      lineEnd + 1 + (exportBytes as number) <= inflated.length
    ) {
      // The export is binary: its length, not a search, says where it ends; then its newline.
      end = lineEnd + 1 + (exportBytes as number);
      if (inflated[end] === 0x0a) end++;
    } else {
      end = nextHeaderLine(inflated, Math.min(lineEnd + 1, inflated.length));
    }
    slices.push({
      bytes: inflated.subarray(at, end),
      ...(isHeader && typeof header?.project_id === 'string' ? { projectId: header.project_id } : {}),
      ...(isHeader && typeof header?.received_at === 'string' ? { receivedAt: header.received_at } : {}),
    });
    at = end;
  }
  return slices;
}

/** Where the next header line at the start of a line begins, at or after `from`; the end when none does. */
function nextHeaderLine(bytes: Buffer, from: number): number {
  for (let i = bytes.indexOf(HEADER_START, from); i !== -1; i = bytes.indexOf(HEADER_START, i + 1)) {
    if (i === 0 || bytes[i - 1] === 0x0a) return i;
  }
  return bytes.length;
}

/** A header line: what the validator writes starts so, and no event line can (events have no `format`). */
const HEADER_START = Buffer.from('{"format":"evalforge.');

/**
 * The record that starts at `at`: its header line, then its export (OTLP) or its event lines, up
 * to the next header line, or to the end when `whole`. Returns the record and where it ends.
 */
function readRecordAt(bytes: Buffer, at: number, whole: boolean): [DecodedStreamRecord, number] {
  const newline = bytes.indexOf(0x0a, at);
  const headerEnd = newline === -1 ? bytes.length : newline;
  let header: AnyStreamRecordHeader;
  try {
    header = JSON.parse(bytes.subarray(at, headerEnd).toString('utf8')) as AnyStreamRecordHeader;
  } catch {
    throw new StreamRecordFormatError('stream record does not start with a JSON header line');
  }
  if (
    (header?.format !== STREAM_RECORD_FORMAT && header?.format !== OTLP_RECORD_FORMAT) ||
    typeof header.project_id !== 'string'
  ) {
    throw new StreamRecordFormatError(
      `stream record header is not ${STREAM_RECORD_FORMAT} or ${OTLP_RECORD_FORMAT}`,
    );
  }
  const start = Math.min(headerEnd + 1, bytes.length);
  if (header.format === OTLP_RECORD_FORMAT) return readOtlpRecord(header, bytes, start);

  // A header is found only at the start of a line.
  const end = whole ? bytes.length : nextHeaderLine(bytes, start);
  const body = bytes.subarray(start, end);
  // ASCII decodes as latin1 by copying; most LLM text is ASCII.
  const text = body.toString(isAscii(body) ? 'latin1' : 'utf8');
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return [{ header, lines, rejected: [] }, end];
}

function readOtlpRecord(
  header: OtlpRecordHeader,
  bytes: Buffer,
  start: number,
): [DecodedStreamRecord, number] {
  const fields = OtlpFields.safeParse(header);
  if (!fields.success) {
    const issue = fields.error.issues[0];
    throw new StreamRecordFormatError(
      `stream record header is invalid: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const end = start + fields.data.bytes;
  if (end > bytes.length) {
    throw new StreamRecordFormatError(
      `stream record announces an OTLP export of ${fields.data.bytes} bytes and holds ${bytes.length - start}`,
    );
  }
  const mapped = otlpRequestLines(header, bytes.subarray(start, end));
  if (!mapped.ok) throw new StreamRecordFormatError(mapped.reason);
  return [{ header, lines: mapped.lines, rejected: mapped.rejected }, end];
}
