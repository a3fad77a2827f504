import { isAscii } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';

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
}

export class StreamRecordFormatError extends Error {
  override readonly name = 'StreamRecordFormatError';
}

export function encodeHeaderLine(header: StreamRecordHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/** A gzip member holding only the header line; a gzip body may follow it unchanged. */
export function gzipHeaderMember(header: StreamRecordHeader): Buffer {
  return gzipSync(encodeHeaderLine(header), { level: 1 });
}

/** Reads a record back: its header and its non-blank event lines. */
export function decodeStreamRecord(data: Uint8Array): { header: StreamRecordHeader; lines: string[] } {
  let text: string;
  try {
    const bytes = gunzipSync(data);
    // ASCII decodes as latin1 by copying; most LLM text is ASCII.
    text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  } catch (error) {
    throw new StreamRecordFormatError(`stream record is not gzip: ${(error as Error).message}`);
  }
  const newline = text.indexOf('\n');
  const first = newline === -1 ? text : text.slice(0, newline);
  let header: StreamRecordHeader;
  try {
    header = JSON.parse(first) as StreamRecordHeader;
  } catch {
    throw new StreamRecordFormatError('stream record does not start with a JSON header line');
  }
  if (header?.format !== STREAM_RECORD_FORMAT || typeof header.project_id !== 'string') {
    throw new StreamRecordFormatError(`stream record header is not ${STREAM_RECORD_FORMAT}`);
  }
  const lines = newline === -1 ? [] : text.slice(newline + 1).split('\n');
  return { header, lines: lines.filter((line) => line.trim() !== '') };
}
