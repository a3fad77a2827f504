import { describe, expect, it } from 'vitest';
import type { EventError } from '../../functions/shared/contract/ingest-api.js';
import { ingestAnswer } from '../../functions/validator/answer.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfterMs, retryDelayMs } from '../../sdk/backoff.js';
import { INGEST_PATH, REGION_ENDPOINT_TEMPLATE, resolveIngestUrl } from '../../sdk/endpoint.js';
import { EvalForgeConfigError } from '../../sdk/errors.js';
import { judgeResponse } from '../../sdk/response.js';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const policy = { initialBackoffMs: 100, maxBackoffMs: 1_000 };

describe('retryDelayMs', () => {
  it.each([
    { retry: 0, random: 0.999, below: 100 },
    { retry: 1, random: 0.999, below: 200 },
    { retry: 3, random: 0.999, below: 800 },
    { retry: 10, random: 0.999, below: 1_000 },
  ])('draws retry $retry below min(max, initial * 2^retry) = $below', ({ retry, random, below }) => {
    const delay = retryDelayMs(retry, policy, () => random);
    expect(delay).toBeLessThan(below);
    expect(delay).toBeGreaterThan(below * 0.99);
  });

  it('uses full jitter: a draw of 0 retries at once', () => {
    expect(retryDelayMs(4, policy, () => 0)).toBe(0);
  });

  it.each([
    { retryAfterMs: 5_000, expected: 5_000 },
    { retryAfterMs: 10, expected: 50 },
    { retryAfterMs: 10 * MAX_RETRY_AFTER_MS, expected: MAX_RETRY_AFTER_MS },
  ])('never retries sooner than Retry-After $retryAfterMs ms (clamped)', ({ retryAfterMs, expected }) => {
    expect(retryDelayMs(0, policy, () => 0.5, retryAfterMs)).toBe(expected);
  });
});

describe('parseRetryAfterMs', () => {
  it.each([
    { header: undefined, expected: undefined },
    { header: '1', expected: 1_000 },
    { header: ' 120 ', expected: 120_000 },
    { header: '0', expected: 0 },
    { header: 'Sat, 31 Jan 2026 12:00:30 GMT', expected: 30_000 },
    { header: 'Sat, 31 Jan 2026 11:00:00 GMT', expected: 0 },
    { header: 'soon', expected: undefined },
  ])('reads $header as $expected ms', ({ header, expected }) => {
    expect(parseRetryAfterMs(header, NOW)).toBe(expected);
  });
});

describe('judgeResponse', () => {
  const result = (errors: unknown[], accepted = 0) =>
    JSON.stringify({ accepted, rejected: errors.length, errors });
  const answer = (status: number, body = '', retryAfter?: string) => ({ status, body, retryAfter });

  it.each([200, 202])('accepts everything on %i', (status) => {
    expect(judgeResponse(answer(status, result([], 3)), 3, NOW)).toEqual({ kind: 'accepted' });
  });

  it.each([408, 500, 502, 504, 429, 503])('retries the whole batch on %i without a result body', (status) => {
    expect(judgeResponse(answer(status, '<html>busy</html>', '2'), 3, NOW)).toMatchObject({
      kind: 'retry-all',
      status,
      retryAfterMs: 2_000,
    });
  });

  it.each([400, 401, 403, 404, 415, 422])('rejects the whole batch for good on %i', (status) => {
    const body = JSON.stringify({ error: { code: 'nope', message: 'the reason' } });
    expect(judgeResponse(answer(status, body), 3, NOW)).toEqual({
      kind: 'reject-all',
      status,
      reason: `HTTP ${status} (nope): the reason`,
    });
  });

  it('splits on 413', () => {
    expect(judgeResponse(answer(413), 3, NOW)).toMatchObject({ kind: 'split', status: 413 });
  });

  it('retries only the retryable entries of a 207; unlisted events were accepted', () => {
    const body = result(
      [
        { index: 0, code: 'unavailable', message: 'stream write failed', retryable: true },
        { index: 2, code: 'invalid_event', message: 'model: must not be empty', retryable: false },
        { index: 9, code: 'throttled', message: 'out of range index is ignored', retryable: true },
      ],
      1,
    );
    expect(judgeResponse(answer(207, body, '1'), 3, NOW)).toEqual({
      kind: 'per-event',
      status: 207,
      retry: [0],
      rejected: [{ index: 2, code: 'invalid_event', message: 'model: must not be empty' }],
      retryAfterMs: 1_000,
      reason: 'HTTP 207: unavailable: stream write failed',
    });
  });

  it('retries unlisted events of a 429 with a result body: nothing was accepted', () => {
    const body = result([
      { index: 1, code: 'duplicate_event', message: 'same ids as event 0', retryable: false },
    ]);
    expect(judgeResponse(answer(429, body), 3, NOW)).toMatchObject({
      kind: 'per-event',
      retry: [0, 2],
      rejected: [{ index: 1, code: 'duplicate_event' }],
    });
  });

  it('retries the whole batch on a 207 whose body cannot be read', () => {
    expect(judgeResponse(answer(207, 'not json'), 3, NOW)).toMatchObject({ kind: 'retry-all', status: 207 });
  });

  describe('an answer whose listing is cut short', () => {
    const omittedMessage = 'left out of the answer, which lists 2 of 4 errors';
    const truncated = {
      accepted: 2,
      rejected: 4,
      errors: [
        { index: 0, code: 'invalid_event', message: 'model: must not be empty', retryable: false },
        { index: 1, code: 'throttled', message: 'stream over its throughput', retryable: true },
      ],
      retry_indexes: [1, 4],
      errors_omitted: 2,
      error_counts: { invalid_event: 1, throttled: 1, duplicate_event: 1, unavailable: 1 },
      omitted_indexes: { duplicate_event: [3], unavailable: [4] },
    };

    it('retries every retryable index, rejects the omitted final ones, and takes the rest as accepted', () => {
      expect(judgeResponse(answer(207, JSON.stringify(truncated), '1'), 6, NOW)).toEqual({
        kind: 'per-event',
        status: 207,
        retry: [1, 4],
        rejected: [
          { index: 0, code: 'invalid_event', message: 'model: must not be empty' },
          { index: 3, code: 'duplicate_event', message: omittedMessage },
        ],
        retryAfterMs: 1_000,
        reason: 'HTTP 207: throttled: stream over its throughput',
      });
    });

    it('retries an index of retry_indexes that the listing does not reach', () => {
      const body = JSON.stringify({
        ...truncated,
        errors: truncated.errors.slice(0, 1),
        retry_indexes: [1, 4, 5],
      });
      expect(judgeResponse(answer(207, body), 6, NOW)).toMatchObject({ retry: [1, 4, 5] });
    });

    it('on a 429, retries what the answer names nowhere as well', () => {
      expect(judgeResponse(answer(429, JSON.stringify({ ...truncated, accepted: 0 })), 6, NOW)).toMatchObject(
        {
          retry: [1, 2, 4, 5],
          rejected: [{ index: 0 }, { index: 3 }],
        },
      );
    });

    it('retries the whole batch when it leaves errors out without naming them', () => {
      const { omitted_indexes: _, ...unnamed } = truncated;
      expect(judgeResponse(answer(207, JSON.stringify(unnamed)), 6, NOW)).toMatchObject({
        kind: 'retry-all',
      });
      const short = { ...truncated, omitted_indexes: { duplicate_event: [3] } };
      expect(judgeResponse(answer(207, JSON.stringify(short)), 6, NOW)).toMatchObject({ kind: 'retry-all' });
    });

    it.each([
      { name: '10,000 events, every third invalid with a long reason, every fifth throttled', count: 10_000 },
      { name: '2,500 events', count: 2_500 },
    ])("reads the validator's own answer exactly for $name", ({ count }) => {
      const errors: EventError[] = [];
      for (let index = 0; index < count; index++) {
        if (index % 5 === 0) {
          errors.push({ index, code: 'throttled', message: 'stream over its throughput', retryable: true });
        } else if (index % 3 === 0) {
          errors.push({
            index,
            code: 'invalid_event',
            message: `model: ${'x'.repeat(5_000)}`,
            retryable: false,
          });
        }
      }
      const accepted = count - errors.length;
      const built = ingestAnswer(
        { accepted, errors },
        { retryAfterThrottledSec: 1, retryAfterUnavailableSec: 5 },
      );
      expect(built.result.errors_omitted).toBeGreaterThan(0);

      const verdict = judgeResponse(answer(built.statusCode, JSON.stringify(built.result)), count, NOW);

      expect(verdict.kind).toBe('per-event');
      if (verdict.kind !== 'per-event') return;
      expect(verdict.retry).toEqual(errors.filter((e) => e.retryable).map((e) => e.index));
      expect(verdict.rejected.map((r) => [r.index, r.code])).toEqual(
        errors.filter((e) => !e.retryable).map((e) => [e.index, e.code]),
      );
      expect(count - verdict.retry.length - verdict.rejected.length).toBe(accepted);
    });
  });

  it('keeps an unknown server code in the message of a final rejection', () => {
    const body = result(
      [{ index: 0, code: 'new_code', message: 'from a newer server', retryable: false }],
      1,
    );
    expect(judgeResponse(answer(207, body), 2, NOW)).toMatchObject({
      rejected: [{ index: 0, code: 'invalid_event', message: 'new_code: from a newer server' }],
    });
  });
});

describe('resolveIngestUrl', () => {
  it.each([
    {
      options: { region: 'eu-west-1', domain: 'example.com' },
      expected: 'https://ingest.eu-west-1.example.com/v1/events',
    },
    {
      options: { region: 'us-east-1', regionEndpointTemplate: 'https://{region}.ingest.example.com/api' },
      expected: 'https://us-east-1.ingest.example.com/api/v1/events',
    },
    { options: { endpoint: 'http://127.0.0.1:8080' }, expected: 'http://127.0.0.1:8080/v1/events' },
    {
      options: { endpoint: 'http://127.0.0.1:8080/v1/events/' },
      expected: 'http://127.0.0.1:8080/v1/events',
    },
    {
      options: { endpoint: new URL('https://user:pw@h.example/base?x=1') },
      expected: 'https://h.example/base/v1/events',
    },
  ])('resolves $options to $expected', ({ options, expected }) => {
    expect(resolveIngestUrl(options).href).toBe(expected);
  });

  it('builds region URLs from the exported template', () => {
    expect(REGION_ENDPOINT_TEMPLATE).toContain('{region}');
    expect(INGEST_PATH).toBe('/v1/events');
  });

  it.each([
    { options: {}, message: 'set either' },
    { options: { endpoint: 'http://a', region: 'eu-west-1' }, message: 'only one' },
    { options: { region: 'EU West' }, message: 'lowercase' },
    {
      options: { region: 'eu-west-1', regionEndpointTemplate: 'https://fixed.example' },
      message: '{region}',
    },
    { options: { region: 'eu-west-1' }, message: '`region` needs `domain`' },
    { options: { region: 'eu-west-1', domain: 'not a domain' }, message: 'is not a DNS name' },
    { options: { endpoint: 'not a url' }, message: 'is not a URL' },
    { options: { endpoint: 'ftp://h.example' }, message: 'http or https' },
  ])('rejects $options', ({ options, message }) => {
    expect(() => resolveIngestUrl(options)).toThrow(EvalForgeConfigError);
    expect(() => resolveIngestUrl(options)).toThrow(message);
  });
});
