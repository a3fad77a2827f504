import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEvent } from '../../../functions/shared/contract/event.js';
import type { IngestResult } from '../../../functions/shared/contract/ingest-api.js';
import { gzip, harness, NOW, ndjson } from '../../helpers/validator-harness.js';

/** No input makes the validator throw or answer 5xx while its stream is healthy. */

const contentTypes = fc.constantFrom(
  'application/json',
  'application/x-ndjson',
  'application/json; charset=utf-8',
  undefined,
  'text/plain',
);
const encodings = fc.constantFrom(undefined, 'gzip', 'identity', 'br');

/** Values of every JSON type, plus values near each field's limits. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 7 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '0af7651916cd43dd8448eb211c80319c',
    'b7ad6b7169203331',
    '00000000000000000000000000000000',
    'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF',
    new Date(NOW).toISOString(),
    '2026-02-30T00:00:00Z',
    NOW,
    NOW / 1000,
    -1,
    1e300,
    Number.MAX_SAFE_INTEGER + 2,
    'ok',
    'error',
    'proj-a',
    'proj-b',
  ),
);
const FIELDS = [
  'trace_id',
  'span_id',
  'parent_span_id',
  'timestamp',
  'project_id',
  'name',
  'model',
  'input_tokens',
  'output_tokens',
  'tokens_used',
  'latency_ms',
  'cost_cents',
  'status',
  'error_message',
  'user_id',
  'session_id',
  'tags',
  'metadata',
  'prompt',
  'response',
  '__proto__',
  'constructor',
  'extra',
] as const;
const eventLike = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: FIELDS.length }),
  fc.record(
    {
      trace_id: fc.constant('0af7651916cd43dd8448eb211c80319c'),
      span_id: fc.stringMatching(/^[0-9a-f]{16}$/),
      timestamp: fc.constant(new Date(NOW).toISOString()),
      model: fc.string({ maxLength: 200 }),
      latency_ms: fc.double(),
      metadata: fc.object({ maxDepth: 7 }),
      tags: fc.array(fc.string({ maxLength: 70 }), { maxLength: 40 }),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

function checkAnswer(statusCode: number, body: string, sentEvents?: number): void {
  expect(statusCode).toBeLessThan(500);
  const parsed = JSON.parse(body) as IngestResult & { error?: { code: string; message: string } };
  if (statusCode === 200 || statusCode === 207) {
    expect(parsed.errors.length).toBe(parsed.rejected);
    if (sentEvents !== undefined) expect(parsed.accepted + parsed.rejected).toBe(sentEvents);
    const indexes = parsed.errors.map((e) => e.index);
    expect(new Set(indexes).size).toBe(indexes.length);
    for (const e of parsed.errors) expect(e.message.length).toBeGreaterThan(0);
  } else {
    expect(parsed.error?.message.length).toBeGreaterThan(0);
  }
}

describe('the validator under arbitrary input', () => {
  it('never throws or answers 5xx for arbitrary bytes and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2_000 }),
        contentTypes,
        encodings,
        fc.boolean(),
        async (bytes, contentType, encoding, gzipIt) => {
          const h = harness();
          const body = gzipIt ? gzip(Buffer.from(bytes)) : Buffer.from(bytes);
          const { response } = await h.post(body, {
            'content-type': contentType,
            'content-encoding': encoding,
          });
          checkAnswer(response.statusCode, response.body);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws or answers 5xx for arbitrary events, and everything it streams passes the contract', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventLike, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (events, asNdjson) => {
          const h = harness();
          // NDJSON cannot carry `undefined`; JSON.stringify drops it the same way in both forms.
          const body = asNdjson ? ndjson(events.map((e) => e ?? null)) : JSON.stringify({ events });
          const { response } = await h.post(body, {
            'content-type': asNdjson ? 'application/x-ndjson' : 'application/json',
          });
          checkAnswer(response.statusCode, response.body, asNdjson ? undefined : events.length);
          for (const event of h.streamedEvents()) expect(checkEvent(event, 'proj-a').ok).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
});
