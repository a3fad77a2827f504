import { canonicalLine } from '../contract/event.js';
import type { OtlpRecordHeader } from '../contract/stream-record.js';
import { protobufTracesToEvents, tracesToEvents } from './core.js';
import { decodeJsonRequest, OtlpDecodeError, readProtobufExport } from './decode.js';

/** An OTLP record's export read back as the events' lines, or why it cannot be. */
export type OtlpRecordLines =
  | { readonly ok: true; readonly lines: string[]; readonly rejected: string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * The events of an OTLP record (`OTLP_RECORD_FORMAT`): its export decoded and its spans mapped as
 * the validator mapped them when it accepted them, priced from the header's prices, each event
 * as the line the validator writes for a span it re-encodes (`canonicalLine`). The clock window
 * is not applied again: it was judged when the request arrived.
 */
export function otlpRequestLines(
  header: Pick<OtlpRecordHeader, 'encoding' | 'project_id' | 'prices'>,
  body: Uint8Array,
): OtlpRecordLines {
  const options = { projectId: header.project_id, prices: header.prices };
  let mapped: ReturnType<typeof tracesToEvents>;
  try {
    // Protobuf as the validator reads it, a span at a time; JSON parsed whole.
    mapped =
      header.encoding === 'protobuf'
        ? protobufTracesToEvents(readProtobufExport(body), options)
        : tracesToEvents(decodeJsonRequest(body), options);
  } catch (error) {
    if (!(error instanceof OtlpDecodeError)) throw error;
    return { ok: false, reason: `stream record's OTLP export cannot be read: ${error.message}` };
  }
  return {
    ok: true,
    lines: mapped.events.map(canonicalLine),
    rejected: mapped.rejected.map((r) => r.reason),
  };
}
