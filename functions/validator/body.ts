import { isAscii, isUtf8 } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { INGEST_LIMITS } from '../shared/contract/ingest-api.js';
import { describePath, scanJsonRange, scanJsonText } from '../shared/contract/json-text.js';

/** One event of a request as read from the body, before the contract is checked. */
export interface BodyItem {
  /** Position among the request's events (NDJSON: among non-blank lines). */
  readonly index: number;
  /** The parsed JSON value; absent when `error` is set. */
  readonly value?: unknown;
  /** NDJSON only: the line exactly as sent, so it can be forwarded without serialising again. */
  readonly line?: string;
  /** Why this item could not be read. */
  readonly error?: string;
  /**
   * A key given twice in this event (`latency_ms`, `metadata.a`): `JSON.parse` kept the last,
   * the store would refuse the row, and which one the client meant is unknown.
   */
  readonly duplicateKey?: string;
  /**
   * NDJSON only: the line is in the form every reader agrees on (numbers as `JSON.stringify`
   * writes them, keys without escapes), so it may be forwarded as sent.
   */
  readonly canonicalText?: boolean;
}

export type BodyFormat = 'json' | 'ndjson';

type BodyFailure = {
  readonly ok: false;
  readonly status: 400 | 413 | 415;
  readonly code: string;
  readonly message: string;
};

/** What a reader makes of the body's text: its format and items. */
type ReadBody =
  | { readonly ok: true; readonly format: BodyFormat; readonly items: readonly BodyItem[] }
  | BodyFailure;

export type DecodedBody =
  | (Extract<ReadBody, { ok: true }> & {
      readonly gzip: boolean;
      readonly decodedBytes: number;
      /** The body's bytes after gzip, as read. */
      readonly decoded: Buffer;
    })
  | BodyFailure;

export interface BodyLimits {
  readonly maxDecompressedBytes: number;
  readonly maxEvents: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  maxDecompressedBytes: INGEST_LIMITS.maxDecompressedBytes,
  maxEvents: INGEST_LIMITS.maxEventsPerRequest,
};

const fail = (status: 400 | 413 | 415, code: string, message: string): BodyFailure => ({
  ok: false,
  status,
  code,
  message,
});

/** Maps a Content-Type header to a body format, or `undefined` when it is not one EvalForge reads. */
export function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  const mediaType = (contentType ?? 'application/json').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json' || mediaType === '') return 'json';
  if (mediaType === 'application/x-ndjson' || mediaType === 'application/ndjson') return 'ndjson';
  return undefined;
}

/**
 * Inflates a gzip body without ever holding more than `max` bytes of output: zlib stops as soon
 * as the output would pass the cap, so a gzip bomb costs at most `max` bytes of work.
 */
function gunzipCapped(body: Buffer, max: number): Buffer | BodyFailure {
  try {
    const { buffer, engine } = gunzipSync(body, { maxOutputLength: max, info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    // zlib stops at zero padding and ignores what follows; those bytes were never read, so the
    // body must not be forwarded as if they had been.
    if (engine.bytesWritten !== body.length) {
      return fail(
        400,
        'invalid_gzip',
        `body has ${body.length - engine.bytesWritten} bytes after the end of its gzip data`,
      );
    }
    return buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      return fail(
        413,
        'decompressed_too_large',
        `body inflates to more than ${max} bytes, the cap on a decompressed request; send fewer events per request`,
      );
    }
    return fail(400, 'invalid_gzip', `body is not valid gzip: ${(error as Error).message}`);
  }
}

function tooMany(count: number, max: number): BodyFailure {
  return fail(413, 'too_many_events', `request has ${count} events; at most ${max} are accepted per request`);
}

function readJson(text: string, limits: BodyLimits): ReadBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(400, 'invalid_json', `body is not valid JSON: ${(error as Error).message}`);
  }
  const events = (parsed as { events?: unknown } | null)?.events;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !Array.isArray(events)) {
    return fail(
      400,
      'invalid_body',
      'body must be a JSON object {"events":[...]}, or NDJSON with Content-Type: application/x-ndjson',
    );
  }
  if (events.length === 0) return fail(400, 'no_events', 'body has no events: "events" is empty');
  if (events.length > limits.maxEvents) return tooMany(events.length, limits.maxEvents);
  const duplicates = new Map<number, string>();
  for (const { path, key } of scanJsonText(text, parsed).duplicateKeys) {
    const [top, index, ...inEvent] = path;
    if (top === 'events' && typeof index === 'number') {
      if (!duplicates.has(index)) duplicates.set(index, duplicateKeyReason([...inEvent, key]));
    } else {
      return fail(400, 'invalid_body', `body gives the key ${describePath([...path, key])} twice`);
    }
  }
  return {
    ok: true,
    format: 'json',
    items: events.map((value, index) => {
      const duplicateKey = duplicates.get(index);
      return duplicateKey === undefined ? { index, value } : { index, value, duplicateKey };
    }),
  };
}

function duplicateKeyReason(path: readonly (string | number)[]): string {
  return `${describePath(path)}: is given twice in this event; send each key once`;
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** NDJSON lines; each line stands alone, so one bad line rejects one event, not the request. */
function readNdjson(lines: readonly (string | undefined)[], limits: BodyLimits, whole?: string): ReadBody {
  const items: BodyItem[] = [];
  let readable = 0;
  let firstError: string | undefined;
  // Where each line starts in `whole`, the body's text when it was split from it.
  let offset = 0;
  const cursor = { next: -2 };
  for (const line of lines) {
    const start = offset;
    offset += (line?.length ?? 0) + 1;
    if (line !== undefined && isBlank(line)) continue;
    const index = items.length;
    if (index >= limits.maxEvents) {
      return tooMany(lines.filter((l) => l === undefined || !isBlank(l)).length, limits.maxEvents);
    }
    if (line === undefined) {
      items.push({ index, error: 'line is not valid UTF-8' });
      firstError ??= `line ${index + 1} is not valid UTF-8`;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const message = `line is not valid JSON: ${(error as Error).message}`;
      items.push({ index, error: message });
      firstError ??= `line ${index + 1}: ${message}`;
      continue;
    }
    readable++;
    const scan =
      whole === undefined
        ? scanJsonText(line, value)
        : scanJsonRange(whole, start, start + line.length, value, cursor);
    const first = scan.duplicateKeys[0];
    items.push(
      first
        ? { index, value, line, duplicateKey: duplicateKeyReason([...first.path, first.key]) }
        : { index, value, line, canonicalText: !scan.nonCanonical },
    );
  }
  if (items.length === 0) return fail(400, 'no_events', 'body has no events: every NDJSON line is blank');
  if (readable === 0)
    return fail(400, 'invalid_ndjson', `no line of the NDJSON body is readable (${firstError})`);
  return { ok: true, format: 'ndjson', items };
}

/** Splits bytes at newlines, decoding each line alone; `undefined` marks a line that is not UTF-8. */
function splitUtf8Lines(bytes: Buffer): (string | undefined)[] {
  const lines: (string | undefined)[] = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const line = bytes.subarray(start, end);
    lines.push(isUtf8(line) ? line.toString('utf8') : undefined);
    start = end + 1;
  }
  return lines;
}

/**
 * Reads a request body: inflates it if gzip (within the cap), checks UTF-8, and parses it as
 * `{"events":[...]}` or NDJSON. Whole-body problems are request errors; per-line problems in
 * NDJSON are item errors, so the other lines still count.
 */
export function decodeBody(
  body: Buffer,
  headers: { contentType?: string; contentEncoding?: string },
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): DecodedBody {
  const format = bodyFormat(headers.contentType);
  if (!format) {
    return fail(
      415,
      'unsupported_media_type',
      `Content-Type ${JSON.stringify(headers.contentType)} is not supported; use application/json or application/x-ndjson`,
    );
  }
  const encoding = (headers.contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity' && encoding !== '') {
    return fail(
      415,
      'unsupported_encoding',
      `Content-Encoding ${JSON.stringify(headers.contentEncoding)} is not supported; use gzip or none`,
    );
  }
  const gzip = encoding === 'gzip';
  let bytes = body;
  if (gzip) {
    const inflated = gunzipCapped(body, limits.maxDecompressedBytes);
    if (!Buffer.isBuffer(inflated)) return inflated;
    bytes = inflated;
  } else if (bytes.length > limits.maxDecompressedBytes) {
    return fail(413, 'decompressed_too_large', `body is over ${limits.maxDecompressedBytes} bytes`);
  }
  if (bytes.length === 0) return fail(400, 'empty_body', 'body is empty');

  let decoded: ReadBody;
  if (isUtf8(bytes)) {
    // Most LLM text is ASCII, and latin1 decoding of ASCII is a copy: twice as fast as utf8.
    const text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
    decoded = format === 'json' ? readJson(text, limits) : readNdjson(text.split('\n'), limits, text);
  } else if (format === 'json') {
    return fail(400, 'invalid_utf8', 'body is not valid UTF-8; JSON text must be UTF-8 encoded');
  } else {
    decoded = readNdjson(splitUtf8Lines(bytes), limits);
  }
  return decoded.ok ? { ...decoded, gzip, decodedBytes: bytes.length, decoded: bytes } : decoded;
}
