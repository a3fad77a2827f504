import { canonicalLine } from '../contract/event.js';
import type { OtlpRecordHeader } from '../contract/stream-record.js';
import { tracesToEvents } from './core.js';
import { decodeJsonRequest, decodeProtobufRequest } from './decode.js';

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
  let request: ReturnType<typeof decodeProtobufRequest>;
  try {
    request = header.encoding === 'protobuf' ? decodeProtobufRequest(body) : decodeJsonRequest(body);
  } catch (error) {
    return { ok: false, reason: `stream record's OTLP export cannot be read: ${(error as Error).message}` };
  }
  const mapped = tracesToEvents(request, { projectId: header.project_id, prices: header.prices });
  return {
    ok: true,
    lines: mapped.events.map(canonicalLine),
    rejected: mapped.rejected.map((r) => r.reason),
  };
}
