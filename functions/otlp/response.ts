import type { RejectedSpan } from './core.js';
import type { OtlpEncoding } from './otlp-types.js';
import { OTLP_TYPES } from './proto-root.js';

/** How many rejected spans the response's `error_message` names; the rest are counted. */
export const MAX_NAMED_REJECTIONS = 5;

export interface EncodedResponse {
  readonly contentType: 'application/x-protobuf' | 'application/json';
  readonly body: Uint8Array;
}

/**
 * The `error_message` of a partial success: how many spans were rejected and why, the first
 * few by their path.
 */
export function describeRejections(rejected: readonly RejectedSpan[], spanCount: number): string {
  if (rejected.length === 0) return '';
  const named = rejected.slice(0, MAX_NAMED_REJECTIONS).map((r) => r.reason);
  const more = rejected.length - named.length;
  return `${rejected.length} of ${spanCount} spans rejected: ${named.join(' | ')}${more > 0 ? ` | and ${more} more` : ''}`;
}

/**
 * An `ExportTraceServiceResponse` in the request's encoding. With no rejected span and no
 * message, `partial_success` is left out, as the specification asks of a full success; a message
 * with no rejected span is a warning (`rejected_spans` 0).
 */
export function encodeTraceResponse(
  encoding: OtlpEncoding,
  partial: { readonly rejectedSpans: number; readonly errorMessage: string },
): EncodedResponse {
  const partialSuccess =
    partial.rejectedSpans > 0 || partial.errorMessage
      ? { rejectedSpans: partial.rejectedSpans, errorMessage: partial.errorMessage }
      : undefined;
  if (encoding === 'json') {
    // The protobuf JSON mapping writes int64 as a decimal string.
    const json = partialSuccess
      ? {
          partialSuccess: {
            rejectedSpans: String(partialSuccess.rejectedSpans),
            errorMessage: partialSuccess.errorMessage,
          },
        }
      : {};
    return { contentType: 'application/json', body: Buffer.from(JSON.stringify(json)) };
  }
  const type = OTLP_TYPES.ExportTraceServiceResponse;
  const message = type.fromObject(partialSuccess ? { partialSuccess } : {});
  return { contentType: 'application/x-protobuf', body: type.encode(message).finish() };
}
