import { describe, expect, it } from 'vitest';
import { decodeStreamRecord } from '../../../functions/shared/contract/stream-record.js';
import { requestKey } from '../../../functions/validator/core.js';
import { harness, jsonBody, NOW } from '../../helpers/validator-harness.js';

const event = (span: string) => ({
  trace_id: '0af7651916cd43dd8448eb211c80319c',
  span_id: span,
  timestamp: new Date(NOW).toISOString(),
  model: 'm',
  latency_ms: 1,
});

describe('requestKey', () => {
  const body = Buffer.from('{"events":[]}');
  it.each([
    [
      'the same Idempotency-Key in the same project',
      requestKey('a', 'k1', body),
      requestKey('a', 'k1', Buffer.from('x')),
      true,
    ],
    [
      'the same Idempotency-Key in another project',
      requestKey('a', 'k1', body),
      requestKey('b', 'k1', body),
      false,
    ],
    ['another Idempotency-Key', requestKey('a', 'k1', body), requestKey('a', 'k2', body), false],
    [
      'the same body without a key',
      requestKey('a', undefined, body),
      requestKey('a', undefined, Buffer.from(body)),
      true,
    ],
    [
      'another body without a key',
      requestKey('a', undefined, body),
      requestKey('a', undefined, Buffer.from('{}')),
      false,
    ],
    [
      'a key that spells the body',
      requestKey('a', '{"events":[]}', body),
      requestKey('a', undefined, body),
      false,
    ],
  ])('%s: equal is %s', (_name, left, right, equal) => {
    expect(left === right).toBe(equal);
    expect(left).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the request key on the stream', () => {
  it('names every record of a request and serves as its partition key, the same on a resend', async () => {
    const h = harness();
    const body = jsonBody([event('b7ad6b7169203331'), event('b7ad6b7169203332')]);
    await h.post(body, { 'idempotency-key': 'batch-7' });
    await h.post(body, { 'idempotency-key': 'batch-7' });
    await h.post(body, { 'idempotency-key': 'batch-8' });
    const headers = h.written.map((r) => decodeStreamRecord(r.data).header);
    expect(headers.map((x) => x.request_key)).toEqual([
      requestKey('proj-a', 'batch-7', Buffer.alloc(0)),
      requestKey('proj-a', 'batch-7', Buffer.alloc(0)),
      requestKey('proj-a', 'batch-8', Buffer.alloc(0)),
    ]);
    expect(h.written.map((r) => r.partitionKey)).toEqual(headers.map((x) => x.request_key));
    expect(headers.map((x) => x.part)).toEqual([0, 0, 0]);
    // Request ids still tell the three requests apart.
    expect(new Set(headers.map((x) => x.request_id)).size).toBe(3);
  });
});
