/**
 * What both ingest routes (`POST /v1/events` and OTLP's `POST /v1/traces`) do alike before and
 * after their own decoding: the body's size, the key, the Idempotency-Key and the request's
 * deduplication key before; writing the packed records to the stream, and naming each event the
 * stream did not take, after. Each route words its own answers.
 */
import { createHash } from 'node:crypto';
import { authenticate } from '../shared/auth/api-keys.js';
import { type EventError, IDEMPOTENCY_KEY_HEADER } from '../shared/contract/ingest-api.js';
import { STREAM_RECORD_FORMAT, type StreamRecordHeader } from '../shared/contract/stream-record.js';
import type { HttpRequest } from '../shared/http.js';
import type { ValidatorDeps } from './core.js';
import type { PackedRecord } from './records.js';
import { writeWithRetry } from './stream-writer.js';

/** A summary's figures before anything was decoded. */
export const EMPTY_SUMMARY = {
  bodyBytes: 0,
  decodedBytes: 0,
  eventsAccepted: 0,
  eventsRejected: 0,
  eventsRetryable: 0,
  eventsNotAcceptedByCode: {},
  records: 0,
  passThrough: false,
} as const;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The request's deduplication key: the client's Idempotency-Key, or else the body's content (after
 * gzip: gzip headers carry a timestamp, so a client that compresses its resend again still names
 * the same request), hashed with the project so that no tenant can name another's requests. Hex
 * SHA-256 is evenly spread, so as a partition key it balances the shards.
 */
export function requestKey(projectId: string, idempotencyKey: string | undefined, body: Uint8Array): string {
  const hash = createHash('sha256').update(projectId).update('\n');
  if (idempotencyKey !== undefined) hash.update('idempotency-key\n').update(idempotencyKey);
  else hash.update('body\n').update(body);
  return hash.digest('hex');
}

/** Who sent the request, by its key. */
export interface Sender {
  readonly projectId: string;
  readonly keyId: string;
  /** The project's home region, when its key names one. */
  readonly homeRegion?: string;
}

/** Why a request is answered before its body is read: the route words the answer. */
export interface Refusal {
  readonly statusCode: 401 | 400 | 413 | 421 | 503;
  readonly code: string;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly who?: Sender;
  /** The key store's own error, for operators' logs only. */
  readonly keyStoreError?: string;
}

export type Admission =
  | { readonly ok: true; readonly who: Sender; readonly idempotencyKey: string | undefined }
  | ({ readonly ok: false } & Refusal);

/**
 * The checks before a body is decoded, in order: its size (the load balancer's 1 MB for a Lambda
 * target), the API key (`Authorization: Bearer`; 503 with Retry-After when the key store cannot
 * answer), the Idempotency-Key's form.
 */
export async function admit(request: HttpRequest, deps: ValidatorDeps, route: string): Promise<Admission> {
  const { limits } = deps;
  if (request.body.length > limits.maxBodyBytes) {
    return {
      ok: false,
      statusCode: 413,
      code: 'body_too_large',
      message: `body is over ${limits.maxBodyBytes} bytes (1 MB, the load balancer's limit for a Lambda target); send fewer ${route} per request`,
      headers: {},
    };
  }
  let auth: Awaited<ReturnType<typeof authenticate>>;
  try {
    auth = await authenticate(deps.keys, request.headers.authorization);
  } catch (error) {
    // The store's own error can name the account, role and table: for operators' logs only.
    return {
      ok: false,
      statusCode: 503,
      code: 'key_store_unavailable',
      message:
        'the API key could not be checked; nothing was accepted, send the request again after Retry-After seconds',
      headers: { 'retry-after': String(limits.retryAfterUnavailableSec) },
      keyStoreError: String(error),
    };
  }
  if (!auth.ok) {
    return {
      ok: false,
      statusCode: 401,
      code: 'unauthorized',
      message: auth.reason,
      headers: { 'www-authenticate': 'Bearer' },
    };
  }
  const who: Sender = {
    projectId: auth.projectId,
    keyId: auth.keyId,
    ...(auth.homeRegion === undefined ? {} : { homeRegion: auth.homeRegion }),
  };
  if (isForeign(who, deps) && !deps.transit) {
    // A deployment of one region cannot forward: the events would be stored outside their home.
    return {
      ok: false,
      statusCode: 421,
      code: 'wrong_region',
      message: `project ${who.projectId} keeps its events in region ${who.homeRegion}, and this endpoint (region ${deps.region}) does not forward to it; send to that region's endpoint`,
      headers: {},
      who,
    };
  }
  const idempotencyKey = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    return {
      ok: false,
      statusCode: 400,
      code: 'invalid_idempotency_key',
      message:
        'Idempotency-Key must be 1-255 visible ASCII characters (a UUID per batch, say), the same on every retry of that batch',
      headers: {},
      who,
    };
  }
  return { ok: true, who, idempotencyKey };
}

/** Whether the sender's project lives in another region than this validator's. */
export function isForeign(who: Sender, deps: Pick<ValidatorDeps, 'region'>): boolean {
  return who.homeRegion !== undefined && deps.region !== undefined && who.homeRegion !== deps.region;
}

/**
 * The header of a request's stream records: who sent it, when, a fresh id, and the key that
 * names the request (`requestKey`) for the loader's deduplication.
 */
export function recordHeader(
  who: Sender,
  idempotencyKey: string | undefined,
  decoded: Uint8Array,
  now: number,
  deps: Pick<ValidatorDeps, 'newId'>,
): Omit<StreamRecordHeader, 'part' | 'events'> {
  return {
    format: STREAM_RECORD_FORMAT,
    project_id: who.projectId,
    key_id: who.keyId,
    received_at: new Date(now).toISOString(),
    request_id: deps.newId(),
    request_key: requestKey(who.projectId, idempotencyKey, decoded),
    ...(who.homeRegion === undefined ? {} : { home_region: who.homeRegion }),
  };
}

/** What writing a request's records did. */
export interface Written {
  readonly eventsAccepted: number;
  /** One retryable error per event of a record the stream did not take after retries. */
  readonly errors: EventError[];
  /** The stream's own error, for operators' logs only. */
  readonly streamError?: string;
}

/**
 * Writes a request's records with retries. They share one partition key, the request's, so its
 * records and its resend's land on one shard and the loader sees them in order. A project homed in
 * another region goes to the transit stream, which the forwarder empties into the home region's
 * stream; the client's acknowledgement means the same either way: the events are in a stream.
 */
export async function writeRecords(
  records: readonly PackedRecord[],
  header: Pick<StreamRecordHeader, 'request_key' | 'home_region'>,
  deps: ValidatorDeps,
): Promise<Written> {
  const partitionKey = header.request_key;
  const foreign =
    header.home_region !== undefined && deps.region !== undefined && header.home_region !== deps.region;
  const stream = foreign && deps.transit ? deps.transit : deps.putRecords;
  const outcomes = await writeWithRetry(
    records.map((r) => ({ data: r.data, partitionKey })),
    stream,
    deps.limits.retry,
    deps,
  );
  let eventsAccepted = 0;
  let streamError: string | undefined;
  const errors: EventError[] = [];
  records.forEach((record, i) => {
    const outcome = outcomes[i];
    if (outcome?.ok) {
      eventsAccepted += record.eventIndexes.length;
      return;
    }
    const code = outcome?.code ?? 'unavailable';
    streamError ??= outcome?.message;
    for (const index of record.eventIndexes) {
      errors.push({
        index,
        code,
        message:
          code === 'throttled'
            ? 'the event stream is over its throughput; send this event again after Retry-After seconds'
            : 'the event stream could not be written; send this event again after Retry-After seconds',
        retryable: true,
      });
    }
  });
  return { eventsAccepted, errors, ...(streamError ? { streamError } : {}) };
}
