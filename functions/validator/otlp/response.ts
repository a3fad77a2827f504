import protobuf from 'protobufjs/light.js';
import type { RejectedSpan } from '../../shared/otlp/core.js';
import type { OtlpEncoding } from '../../shared/otlp/otlp-types.js';
import { OTLP_TYPES } from '../../shared/otlp/proto-root.js';

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
export function describeRejections(
  rejected: readonly Pick<RejectedSpan, 'reason'>[],
  spanCount: number,
): string {
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

/**
 * `google.rpc.Status` (google/rpc/status.proto), the body OTLP/HTTP gives every 4xx and 5xx
 * response. `details` (field 3, `repeated google.protobuf.Any`) is never written, so it is not
 * declared.
 */
const STATUS = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(STATUS);

/** The google.rpc.Code for an HTTP status OTLP/HTTP answers with. */
const RPC_CODES: Readonly<Record<number, number>> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  413: 3, // INVALID_ARGUMENT: the body is too large to read
  415: 3, // INVALID_ARGUMENT
  429: 8, // RESOURCE_EXHAUSTED
  500: 13, // INTERNAL
  502: 14, // UNAVAILABLE
  503: 14, // UNAVAILABLE
  504: 14, // UNAVAILABLE
};

/**
 * The body of an error response (4xx, 5xx) in the request's encoding: a `google.rpc.Status`
 * with the code matching `httpStatus` and the message. A request whose encoding is unknown
 * (415) is answered in JSON.
 */
export function encodeErrorStatus(
  encoding: OtlpEncoding | undefined,
  httpStatus: number,
  message: string,
): EncodedResponse {
  const code = RPC_CODES[httpStatus] ?? (httpStatus >= 500 ? 13 : 3);
  if (encoding === 'protobuf') {
    return {
      contentType: 'application/x-protobuf',
      body: STATUS.encode(STATUS.fromObject({ code, message })).finish(),
    };
  }
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify({ code, message })) };
}
