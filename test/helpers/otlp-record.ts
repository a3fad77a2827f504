import { gzipSync } from 'node:zlib';
import { OTLP_RECORD_FORMAT } from '../../functions/shared/contract/stream-record.js';

/**
 * The header line of an OTLP stream record written by hand, as a validator of other code (or a
 * hostile writer) could: a valid header of project "proj-a" for one span, with `fields` over it,
 * checked by nothing here.
 */
export function otlpHeaderLine(fields: Record<string, unknown> = {}): string {
  return `${JSON.stringify({
    format: OTLP_RECORD_FORMAT,
    project_id: 'proj-a',
    key_id: '0123456789abcdef',
    received_at: '2026-06-15T12:00:00.000Z',
    request_id: 'req-1',
    request_key: 'a'.repeat(64),
    part: 0,
    events: 1,
    encoding: 'protobuf',
    prices: {},
    ...fields,
  })}\n`;
}

/** A whole OTLP record: the header line (`bytes` the export's length unless given), the export, a newline, gzip. */
export function otlpRecordData(exportBytes: Uint8Array, fields: Record<string, unknown> = {}): Buffer {
  return gzipSync(
    Buffer.concat([
      Buffer.from(otlpHeaderLine({ bytes: exportBytes.length, ...fields })),
      exportBytes,
      Buffer.from('\n'),
    ]),
  );
}
