import { describe, expect, it } from 'vitest';
import { toAlbResult } from '../../../functions/shared/alb.js';
import {
  type EventError,
  type EventErrorCode,
  INGEST_ANSWER_LIMITS,
  INGEST_LIMITS,
  type IngestResult,
} from '../../../functions/shared/contract/ingest-api.js';
import type { HttpResponse } from '../../../functions/shared/http.js';
import { capMessage, type IngestOutcome, ingestAnswer } from '../../../functions/validator/answer.js';
import type { PutOutcome } from '../../../functions/validator/stream-writer.js';
import { gzip, harness, NOW, ndjson } from '../../helpers/validator-harness.js';

const RETRY_AFTER = { retryAfterThrottledSec: 1, retryAfterUnavailableSec: 5 };
const MAX_EVENTS = INGEST_LIMITS.maxEventsPerRequest;

const invalid = (index: number, message = 'model: must not be empty'): EventError => ({
  index,
  code: 'invalid_event',
  message,
  retryable: false,
});
const retryable = (index: number, code: 'throttled' | 'unavailable' = 'throttled'): EventError => ({
  index,
  code,
  message: 'the event stream is over its throughput; send this event again after Retry-After seconds',
  retryable: true,
});

/**
 * The message that costs the most bytes per character in the ALB result: a control character is
 * `\u0001` in the body (6 bytes) and `\\u0001` once the body is a JSON string (7).
 */
const LONGEST_MESSAGE = '\u0001'.repeat(100_000);

/** Bytes of the ALB result's JSON, as the load balancer measures a Lambda's response. */
function albResultBytes(response: HttpResponse, multiValueHeaders: boolean): number {
  return Buffer.byteLength(JSON.stringify(toAlbResult(response, multiValueHeaders)));
}

function asResponse(outcome: IngestOutcome): { response: HttpResponse; result: IngestResult } {
  const answer = ingestAnswer(outcome, RETRY_AFTER);
  return {
    result: answer.result,
    response: {
      statusCode: answer.statusCode,
      headers: {
        'content-type': 'application/json',
        'x-evalforge-request-id': '9b2f4c1e-5d3a-4f6b-8c7d-0e1f2a3b4c5d',
        ...answer.headers,
      },
      body: JSON.stringify(answer.result),
    },
  };
}

/** What the answer says of each event: accepted, retry, or the code it was rejected with. */
function fates(result: IngestResult, eventCount: number): string[] {
  const fate: string[] = Array.from({ length: eventCount }, () => 'accepted');
  for (const error of result.errors) fate[error.index] = error.code;
  for (const [code, indexes] of Object.entries(result.omitted_indexes ?? {})) {
    for (const index of indexes ?? []) fate[index] = code;
  }
  for (const index of result.retry_indexes ?? []) fate[index] = 'retry';
  return fate;
}

describe('ingestAnswer', () => {
  it.each([
    { name: 'every event accepted', accepted: 3, errors: [], status: 200, retryAfter: undefined },
    { name: 'an invalid event', accepted: 2, errors: [invalid(1)], status: 207, retryAfter: undefined },
    {
      name: 'every event invalid',
      accepted: 0,
      errors: [invalid(0), invalid(1)],
      status: 207,
      retryAfter: undefined,
    },
    {
      name: 'a throttled event beside accepted ones',
      accepted: 2,
      errors: [retryable(0)],
      status: 207,
      retryAfter: '1',
    },
    {
      name: 'nothing accepted, throttled',
      accepted: 0,
      errors: [retryable(0), invalid(1)],
      status: 429,
      retryAfter: '1',
    },
    {
      name: 'nothing accepted, the stream failed for some',
      accepted: 0,
      errors: [retryable(0), retryable(1, 'unavailable')],
      status: 503,
      retryAfter: '5',
    },
  ])('answers $status for $name', ({ accepted, errors, status, retryAfter }) => {
    const answer = ingestAnswer({ accepted, errors }, RETRY_AFTER);
    expect(answer.statusCode).toBe(status);
    expect(answer.headers['retry-after']).toBe(retryAfter);
    expect(answer.retryable).toBe(errors.filter((e) => e.retryable).length);
  });

  it('lists every error in index order when they fit, with the retryable indexes apart', () => {
    const { result } = ingestAnswer(
      { accepted: 1, errors: [retryable(3), invalid(0), retryable(1, 'unavailable')] },
      RETRY_AFTER,
    );
    expect(result).toEqual({
      accepted: 1,
      rejected: 3,
      errors: [invalid(0), retryable(1, 'unavailable'), retryable(3)],
      retry_indexes: [1, 3],
    });
  });

  it('keeps the old shape when nothing is retryable and nothing left out', () => {
    expect(ingestAnswer({ accepted: 4, errors: [] }, RETRY_AFTER).result).toEqual({
      accepted: 4,
      rejected: 0,
      errors: [],
    });
    expect(Object.keys(ingestAnswer({ accepted: 1, errors: [invalid(2)] }, RETRY_AFTER).result)).toEqual([
      'accepted',
      'rejected',
      'errors',
    ]);
  });

  it('lists the first errors up to the count and sums up the rest by code and index', () => {
    const errors = Array.from({ length: 2_500 }, (_, i) =>
      i % 5 === 4
        ? retryable(i)
        : { ...invalid(i), code: (i % 2 ? 'duplicate_event' : 'invalid_event') as EventErrorCode },
    );
    const { result } = ingestAnswer({ accepted: 0, errors }, RETRY_AFTER);

    expect(result.errors).toHaveLength(INGEST_ANSWER_LIMITS.maxListedErrors);
    expect(result.errors.map((e) => e.index)).toEqual(errors.slice(0, 1_000).map((e) => e.index));
    expect(result.errors_omitted).toBe(1_500);
    expect(result.error_counts).toEqual({ invalid_event: 1_000, duplicate_event: 1_000, throttled: 500 });
    expect(Object.values(result.omitted_indexes ?? {}).flat()).toHaveLength(1_500);
    expect(result.omitted_indexes?.throttled).toEqual(
      errors.filter((e, i) => i >= 1_000 && e.retryable).map((e) => e.index),
    );
    expect(result.retry_indexes).toEqual(errors.filter((e) => e.retryable).map((e) => e.index));
    // The answer still tells the fate of every event.
    expect(fates(result, 2_500)).toEqual(errors.map((e) => (e.retryable ? 'retry' : e.code)));
  });

  it('lists fewer errors when their messages are long: the byte budget binds', () => {
    const errors = Array.from({ length: 1_000 }, (_, i) => invalid(i, LONGEST_MESSAGE));
    const { result } = ingestAnswer({ accepted: 0, errors }, RETRY_AFTER);

    expect(result.errors.length).toBeGreaterThan(50);
    expect(result.errors.length).toBeLessThan(1_000);
    expect(result.errors_omitted).toBe(1_000 - result.errors.length);
    expect(result.omitted_indexes?.invalid_event?.[0]).toBe(result.errors.length);
  });

  it.each([
    { name: 'a short message', message: 'timestamp: is required', expected: 'timestamp: is required' },
    { name: 'a long message', message: 'x'.repeat(1_000), expected: `${'x'.repeat(299)}…` },
    {
      name: 'a cut through a surrogate pair',
      message: `${'x'.repeat(298)}😀tail`,
      expected: `${'x'.repeat(298)}…`,
    },
  ])('caps $name at 300 characters', ({ message, expected }) => {
    expect(capMessage(message, INGEST_ANSWER_LIMITS.maxMessageChars)).toBe(expected);
    const { result } = ingestAnswer({ accepted: 0, errors: [invalid(0, message)] }, RETRY_AFTER);
    expect(result.errors[0]?.message).toBe(expected);
  });

  describe.each([false, true])('stays under the 1 MB response limit (multi-value headers: %s)', (multi) => {
    it.each([
      {
        name: '10,000 events each rejected with the longest message',
        accepted: 0,
        errors: Array.from({ length: MAX_EVENTS }, (_, i) => invalid(i, LONGEST_MESSAGE)),
      },
      {
        name: '10,000 retryable events',
        accepted: 0,
        errors: Array.from({ length: MAX_EVENTS }, (_, i) =>
          retryable(i, i % 2 ? 'throttled' : 'unavailable'),
        ),
      },
      {
        name: '5,000 retryable events between 5,000 rejected with the longest message',
        accepted: 0,
        errors: Array.from({ length: MAX_EVENTS }, (_, i) =>
          i % 2 ? retryable(i) : invalid(i, LONGEST_MESSAGE),
        ),
      },
      {
        name: '9,999 events rejected with the longest message and the last one accepted',
        accepted: 1,
        errors: Array.from({ length: MAX_EVENTS - 1 }, (_, i) => invalid(i, `"\\${LONGEST_MESSAGE}`)),
      },
    ])('for $name', ({ accepted, errors }) => {
      const { response, result } = asResponse({ accepted, errors });

      expect(albResultBytes(response, multi)).toBeLessThan(INGEST_ANSWER_LIMITS.maxResponseBytes);
      expect(result.rejected).toBe(errors.length);
      expect(result.retry_indexes ?? []).toEqual(errors.filter((e) => e.retryable).map((e) => e.index));
      expect(fates(result, accepted + errors.length)).toEqual([
        ...errors.map((e) => (e.retryable ? 'retry' : e.code)),
        ...Array.from({ length: accepted }, () => 'accepted'),
      ]);
    });
  });
});

describe('the validator answer to a request of 10,000 events', () => {
  // ~420 characters of field name, 4 bytes each in the ALB result ("\\\""): as long a message as
  // an event can earn, at ~850 bytes a line so that 10,000 fit in the 16 MiB inflated.
  const longName = '"'.repeat(420);
  const event = (i: number) => ({
    trace_id: (i + 1).toString(16).padStart(32, '0'),
    span_id: (i + 1).toString(16).padStart(16, '0'),
    timestamp: new Date(NOW - 1_000).toISOString(),
    model: 'gpt-4o-mini',
    latency_ms: 100,
  });
  const post = (h: ReturnType<typeof harness>, events: unknown[]) =>
    h.post(gzip(ndjson(events)), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });

  it('answers a 207 under 1 MB when every event is invalid with a long reason', async () => {
    const h = harness();
    const { response, summary } = await post(
      h,
      Array.from({ length: MAX_EVENTS }, (_, i) => ({ ...event(i), [`${longName}${i}`]: 1 })),
    );

    expect(response.statusCode).toBe(207);
    expect(albResultBytes(response, false)).toBeLessThan(INGEST_ANSWER_LIMITS.maxResponseBytes);
    const result = JSON.parse(response.body) as IngestResult;
    expect(result.rejected).toBe(MAX_EVENTS);
    expect(result.errors.length + (result.errors_omitted ?? 0)).toBe(MAX_EVENTS);
    expect(result.error_counts).toEqual({ invalid_event: MAX_EVENTS });
    expect(result.errors.every((e) => e.message.length <= INGEST_ANSWER_LIMITS.maxMessageChars)).toBe(true);
    expect(summary.eventsRejected).toBe(MAX_EVENTS);
  });

  it('names every event to send again when the stream throttles them all', async () => {
    const h = harness({
      put: async (records) =>
        records.map((): PutOutcome => ({ ok: false, code: 'throttled', message: 'Rate exceeded for shard' })),
    });
    const { response, summary } = await post(
      h,
      Array.from({ length: MAX_EVENTS }, (_, i) => event(i)),
    );

    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('1');
    expect(albResultBytes(response, true)).toBeLessThan(INGEST_ANSWER_LIMITS.maxResponseBytes);
    const result = JSON.parse(response.body) as IngestResult;
    expect(result.retry_indexes).toEqual(Array.from({ length: MAX_EVENTS }, (_, i) => i));
    expect(result.errors).toHaveLength(INGEST_ANSWER_LIMITS.maxListedErrors);
    expect(summary.eventsRetryable).toBe(MAX_EVENTS);
  });
});
