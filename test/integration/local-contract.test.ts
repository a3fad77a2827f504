import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResult } from '../../functions/shared/contract/ingest-api.js';
import { type Pipeline, startPipeline } from '../../local/pipeline.js';
import { rows } from '../helpers/clickhouse.js';

/**
 * The closed contract in the pipeline `npm start` runs, over HTTP: whatever a client sends is
 * either rejected in the 207 naming the field, or stored; an event the engine refuses for all
 * that becomes a dead letter the tenant can list, and never stops the shard: ordinary events sent
 * afterwards are queryable within seconds.
 */

let dir: string;
let pipeline: Pipeline;
let key: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-local-contract-'));
  pipeline = await startPipeline({ dataDir: join(dir, 'data'), port: 0, pollIntervalMs: 50 });
  key = pipeline.devKey.key;
}, 60_000);

afterAll(async () => {
  await pipeline?.close({ drain: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

let serial = 0;
function line(extra: string, at = Date.now() - 2_000): { text: string; trace: string } {
  serial++;
  const trace = `${'c'.repeat(24)}${serial.toString(16).padStart(8, '0')}`;
  const text = `{"trace_id":"${trace}","span_id":"${serial.toString(16).padStart(16, 'a')}","timestamp":"${new Date(at).toISOString()}","model":"m","latency_ms":5${extra}}`;
  return { text, trace };
}

async function post(
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<IngestResult & { status: number }> {
  const response = await fetch(`${pipeline.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...headers },
    body,
  });
  return { status: response.status, ...((await response.json()) as IngestResult) };
}

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${pipeline.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

const stored = async (traces: readonly string[]) =>
  (
    await rows<{ n: number }>(
      pipeline.clickhouse,
      'SELECT count() AS n FROM events WHERE trace_id IN {t:Array(String)}',
      {
        t: traces,
      },
    )
  )[0]?.n;

/** Each a line a parser would take and the store would not, as it stands in the contract's table. */
const HOSTILE = [
  ',"metadata":{"a":1,"a":2}',
  ',"latency_ms":7',
  ',"metadata":{"a":"\\ud800","\\udc00":1}',
  ',"prompt":"cut \\ud83d","response":"\\ude00 cut"',
  ',"metadata":{"big":123456789012345678901234567890}',
  ',"metadata":{"inf":1e400,"tiny":1e-400}',
  ',"metadata":{"a.b":1,"a":{"b":2}}',
  ',"metadata":{"a":1,"a.b":2}',
  ',"metadata":{"":1,"x":{"":2},"a..b":3}',
  ',"metadata":{"gen_ai.system":"openai","n":null,"e":{},"arr":[null,{}]}',
  ',"metadata":{"__proto__":{"x":1}}',
  ',"metadata":{"d":"2026-01-01T00:00:00Z","m":[true,"x"],"s":"123"}',
  ',"input_tokens":1.0,"output_tokens":1e2,"cost_cents":-0',
  ',"metadata":{"u":18446744073709551615,"i":-9223372036854775809}',
  ',"prompt":true,"response":[{"role":"assistant", "content":"\\u00e9"}]',
  ',"tags":["a","\\udc00","a"],"name":"x\\u0000y"',
  ',"metadata":{"k":"v"},"metadata":{"k":"w"}',
  ',"metadata":{"l1":{"l2":{"l3":{"l4":{"l5":1}}}},"d.e.f.g.h.i":1}',
];

describe('the closed contract in the local pipeline', () => {
  it.each([
    ['NDJSON', (lines: string[]) => lines.join('\n'), { 'content-type': 'application/x-ndjson' }],
    [
      'gzip NDJSON',
      (lines: string[]) => gzipSync(lines.join('\n')),
      { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
    ],
    [
      'a JSON body',
      (lines: string[]) => `{"events":[${lines.join(',')}]}`,
      { 'content-type': 'application/json' },
    ],
  ] as const)(
    'rejects naming the field, or stores, every kind of line, in %s',
    async (_name, encode, headers) => {
      const sent = HOSTILE.map((extra) => line(extra));
      const answer = await post(encode(sent.map((s) => s.text)) as string, headers);
      expect(answer.status).toBe(207);
      for (const error of answer.errors) {
        expect(error.code).toBe('invalid_event');
        expect(error.message).toMatch(/^(metadata|latency_ms|prompt|tags|input_tokens)[.:[]/);
      }
      const accepted = sent.filter((_, i) => !answer.errors.some((e) => e.index === i));
      expect(answer.accepted).toBe(accepted.length);
      expect(accepted.length).toBeGreaterThan(5);

      await pipeline.settle();
      expect(await stored(accepted.map((s) => s.trace))).toBe(accepted.length);
      expect(pipeline.stats().deadLetters).toBe(0);
    },
    60_000,
  );

  it('sets aside an event the engine refuses, lists it to its project, and loads what comes after within seconds', async () => {
    await pipeline.clickhouse.command({
      query: "ALTER TABLE events ADD CONSTRAINT refuse_one CHECK model != 'refused-by-engine'",
    });
    try {
      const refused = line('').text.replace('"model":"m"', '"model":"refused-by-engine"');
      const neighbours = Array.from({ length: 4 }, () => line(',"metadata":{"batch":"with-refused"}'));
      const first = await post(
        [neighbours[0]?.text, refused, ...neighbours.slice(1).map((n) => n.text)].join('\n'),
        {
          'content-type': 'application/x-ndjson',
        },
      );
      // The contract accepts it: only the engine refuses it.
      expect(first).toMatchObject({ status: 200, accepted: 5 });

      const after = Array.from({ length: 20 }, () => line(',"metadata":{"batch":"after"}'));
      const sentAt = Date.now();
      expect(
        await post(after.map((a) => a.text).join('\n'), { 'content-type': 'application/x-ndjson' }),
      ).toMatchObject({ status: 200, accepted: 20 });
      for (;;) {
        const count = await get<{ calls: number }>('/v1/calls/count?window=15m&metadata.batch=after');
        if (count.calls === 20) break;
        expect(Date.now() - sentAt).toBeLessThan(10_000);
        await new Promise((r) => setTimeout(r, 100));
      }
      await pipeline.settle();
      expect(await stored(neighbours.map((n) => n.trace))).toBe(4);
      expect(pipeline.stats().deadLetters).toBe(1);

      const letters = await get<{
        total: number;
        dead_letters: { engine_code: number; line: string; reason: string }[];
      }>('/v1/dead-letters?window=1h');
      expect(letters.total).toBe(1);
      expect(letters.dead_letters[0]).toMatchObject({ engine_code: 469, line: refused });
      expect(letters.dead_letters[0]?.reason).toMatch(/refuse_one/);
    } finally {
      await pipeline.clickhouse.command({ query: 'ALTER TABLE events DROP CONSTRAINT refuse_one' });
    }
  }, 60_000);
});
