import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fitDeadLetters,
  handleQueryRequest,
  QUERY_API_LIMITS,
  type QueryDeps,
} from '../../../functions/query/core.js';
import {
  DEAD_LETTER_LIMITS,
  type DeadLetterRow,
  deadLetters,
  QueryInputError,
  utf8Prefix,
} from '../../../functions/query/queries.js';
import { type ApiKeyRecord, type KeyStore, newApiKey } from '../../../functions/shared/auth/api-keys.js';
import { type DeadLetterInsert, embeddedClickHouse, insertDeadLetters } from '../../helpers/clickhouse.js';

/**
 * The dead letters of `load_dead_letters` through the queries and `GET /v1/dead-letters`,
 * against the real embedded engine with rows inserted as the loader writes them: each project
 * sees its own, nobody sees the unreadable records', and a page fits the load balancer's 1 MB
 * however long its events were.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// Letters expire 30 days after they are written, so the data sits just before the real clock.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE + 17_250;
/** The end of NOW's minute: where a `window` ends. */
const MINUTE_END = Math.floor(NOW / MINUTE) * MINUTE + MINUTE;
/** Where the bulky letters sit, apart from every other window asked for. */
const BULK_AT = NOW - 3 * DAY;
const BULK = 100;

const A = 'proj-a';
const B = 'proj-b';
const iso = (ms: number) => new Date(ms).toISOString();
const STREAM = 'arn:aws:kinesis:eu-west-1:111111111111:stream/evalforge-events';

const line = (fields: Record<string, unknown>) => JSON.stringify({ trace_id: 'a'.repeat(32), ...fields });

/** Straddles the 16 KiB cut: "é" takes bytes 16,383 and 16,384. */
const STRADDLING = `${'a'.repeat(DEAD_LETTER_LIMITS.maxLineBytes - 1)}é${'b'.repeat(100)}`;
const LONG_REASON = `Code: 27. DB::Exception: Cannot parse input: ${'x'.repeat(6_000)}`;

const LETTERS = {
  newest: {
    failed_at: iso(NOW - 5 * MINUTE),
    project_id: A,
    source: `${STREAM}/shardId-000000000001:4960`,
    request_id: 'req-newest',
    reason: 'Code: 53. DB::Exception: Type mismatch in IN or VALUES section. Expected: UInt32. Got: String',
    engine_code: 53,
    line: line({ model: 'gpt-4o', latency_ms: 'fast', prompt: 'héllo "world" 🚀' }),
  },
  tiedLater: {
    failed_at: iso(NOW - 10 * MINUTE),
    project_id: A,
    source: `${STREAM}/shardId-000000000002:100`,
    request_id: 'req-tied-2',
    reason: 'Code: 27. DB::Exception: Cannot parse input',
    engine_code: 27,
    line: line({ tied: 2 }),
  },
  tiedEarlier: {
    failed_at: iso(NOW - 10 * MINUTE),
    project_id: A,
    source: `${STREAM}/shardId-000000000001:100`,
    request_id: 'req-tied-1',
    reason: 'Code: 27. DB::Exception: Cannot parse input',
    engine_code: 27,
    line: line({ tied: 1 }),
  },
  straddling: {
    failed_at: iso(NOW - 20 * MINUTE),
    project_id: A,
    request_id: 'req-long',
    reason: LONG_REASON,
    engine_code: 27,
    line: STRADDLING,
  },
  exactly16KiB: {
    failed_at: iso(NOW - 21 * MINUTE),
    project_id: A,
    reason: 'r'.repeat(DEAD_LETTER_LIMITS.maxReasonBytes),
    engine_code: 27,
    line: 'c'.repeat(DEAD_LETTER_LIMITS.maxLineBytes),
  },
  twoByteChars: {
    failed_at: iso(NOW - 22 * MINUTE),
    project_id: A,
    engine_code: 27,
    // 9,000 characters, within the characters the engine sends, but 18,000 bytes.
    line: 'é'.repeat(9_000),
  },
  atFrom: { failed_at: iso(MINUTE_END - HOUR), project_id: A, request_id: 'req-at-from', line: line({}) },
  beforeFrom: {
    failed_at: iso(MINUTE_END - HOUR - 1),
    project_id: A,
    request_id: 'req-before-from',
    line: line({}),
  },
  twoDaysAgo: { failed_at: iso(NOW - 2 * DAY), project_id: A, request_id: 'req-old', line: line({}) },
  ofB: {
    failed_at: iso(NOW - 7 * MINUTE),
    project_id: B,
    request_id: 'req-b-secret',
    reason: 'b-secret reason',
    engine_code: 6,
    line: line({ model: 'b-secret-model' }),
  },
  unreadable: {
    failed_at: iso(NOW - 3 * MINUTE),
    project_id: '',
    source: `${STREAM}/shardId-000000000000:77`,
    reason: 'nobody-reads-this: the record is not gzip',
    data_base64: Buffer.from('nobody-reads-this').toString('base64'),
  },
} satisfies Record<string, DeadLetterInsert>;

/** A's letters in the hour ending with NOW's minute, newest first. */
const A_LAST_HOUR = [
  LETTERS.newest,
  LETTERS.tiedEarlier,
  LETTERS.tiedLater,
  LETTERS.straddling,
  LETTERS.exactly16KiB,
  LETTERS.twoByteChars,
  LETTERS.atFrom,
];

/** Events of some 40 KB, a fifth of them quotes: each costs twice that escaped twice. */
const BULKY_LINE = line({ prompt: 'say "hi" '.repeat(4_500) });
const bulky = Array.from(
  { length: BULK },
  (_, i): DeadLetterInsert => ({
    failed_at: iso(BULK_AT + i),
    project_id: A,
    source: `${STREAM}/shardId-000000000003:${i}`,
    request_id: `req-bulk-${i}`,
    reason: 'Code: 53. DB::Exception: Type mismatch',
    engine_code: 53,
    line: BULKY_LINE,
  }),
);

let engine: Awaited<ReturnType<typeof embeddedClickHouse>>;
let deps: QueryDeps;

const keyA = newApiKey(A, new Date(NOW - HOUR));
const keyB = newApiKey(B, new Date(NOW - HOUR));
const records = new Map<string, ApiKeyRecord>([
  [keyA.record.keyId, keyA.record],
  [keyB.record.keyId, keyB.record],
]);
const keys: KeyStore = { findByKeyId: async (keyId) => records.get(keyId) };

beforeAll(async () => {
  engine = await embeddedClickHouse();
  await insertDeadLetters(engine.client, Object.values(LETTERS));
  await insertDeadLetters(engine.client, bulky);
  deps = { keys, clickhouse: engine.client, now: () => NOW };
});

afterAll(async () => {
  await engine?.close();
});

async function get(path: string, options: { key?: string | null; method?: string; with?: QueryDeps } = {}) {
  const key = options.key === undefined ? keyA.key : options.key;
  const { response, summary } = await handleQueryRequest(
    {
      method: options.method ?? 'GET',
      path,
      headers: key === null ? {} : { authorization: `Bearer ${key}` },
      body: Buffer.alloc(0),
    },
    options.with ?? deps,
  );
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
  const body = response.body === '' ? undefined : (JSON.parse(response.body) as any);
  return { status: response.statusCode, headers: response.headers, body, response, summary };
}

const requestIds = (letters: readonly { request_id: string }[]) => letters.map((l) => l.request_id);
const window = { projectId: A, from: new Date(MINUTE_END - HOUR), to: new Date(MINUTE_END) };

// ---------------------------------------------------------------------------------------------

describe('deadLetters', () => {
  it("lists the project's letters in the window newest first, ties by source, and counts them", async () => {
    const page = await deadLetters(engine.client, window);
    expect(page.total).toBe(A_LAST_HOUR.length);
    expect(page.dead_letters.map((l) => l.failed_at)).toEqual(A_LAST_HOUR.map((l) => l.failed_at));
    expect(requestIds(page.dead_letters.slice(0, 3))).toEqual(['req-newest', 'req-tied-1', 'req-tied-2']);
    expect(page.dead_letters[0]).toEqual({
      failed_at: LETTERS.newest.failed_at,
      source: LETTERS.newest.source,
      request_id: 'req-newest',
      engine_code: 53,
      reason: LETTERS.newest.reason,
      line: LETTERS.newest.line,
      line_bytes: Buffer.byteLength(LETTERS.newest.line),
      line_truncated: false,
    });
  });

  it('bounds the window to the millisecond and counts all of it whatever the limit', async () => {
    const page = await deadLetters(engine.client, { ...window, limit: 2 });
    expect(page.total).toBe(A_LAST_HOUR.length);
    expect(requestIds(page.dead_letters)).toEqual(['req-newest', 'req-tied-1']);
    const edge = await deadLetters(engine.client, {
      projectId: A,
      from: new Date(MINUTE_END - HOUR - 1),
      to: new Date(MINUTE_END - HOUR),
    });
    expect(requestIds(edge.dead_letters)).toEqual(['req-before-from']);
    expect(edge.total).toBe(1);
  });

  it("never shows another project's letters, nor the unreadable records', which have no project", async () => {
    const a = JSON.stringify(await deadLetters(engine.client, window));
    const b = await deadLetters(engine.client, { ...window, projectId: B });
    expect(a).not.toContain('b-secret');
    expect(a).not.toContain('nobody-reads-this');
    expect(requestIds(b.dead_letters)).toEqual(['req-b-secret']);
    expect(b.total).toBe(1);
    await expect(deadLetters(engine.client, { ...window, projectId: '' })).rejects.toThrow(QueryInputError);
  });

  it('cuts a line at 16 KiB on a character boundary, saying so and how long the whole is', async () => {
    const page = await deadLetters(engine.client, window);
    const by = (failedAt: string) => page.dead_letters.find((l) => l.failed_at === failedAt);
    expect(by(LETTERS.straddling.failed_at)).toMatchObject({
      line: 'a'.repeat(DEAD_LETTER_LIMITS.maxLineBytes - 1),
      line_bytes: Buffer.byteLength(STRADDLING),
      line_truncated: true,
    });
    expect(by(LETTERS.exactly16KiB.failed_at)).toMatchObject({
      line: LETTERS.exactly16KiB.line,
      line_bytes: DEAD_LETTER_LIMITS.maxLineBytes,
      line_truncated: false,
      reason: LETTERS.exactly16KiB.reason,
    });
    expect(by(LETTERS.twoByteChars.failed_at)).toMatchObject({
      line: 'é'.repeat(DEAD_LETTER_LIMITS.maxLineBytes / 2),
      line_bytes: 18_000,
      line_truncated: true,
    });
  });

  it('cuts a reason over 4 KiB, ending it with "…"', async () => {
    const page = await deadLetters(engine.client, window);
    const long = page.dead_letters.find((l) => l.request_id === 'req-long');
    expect(long?.reason).toBe(`${LONG_REASON.slice(0, DEAD_LETTER_LIMITS.maxReasonBytes - 3)}…`);
    expect(Buffer.byteLength(long?.reason ?? '')).toBe(DEAD_LETTER_LIMITS.maxReasonBytes);
  });

  it.each([
    ['rejects limit 0', { ...window, limit: 0 }, /limit: must be at least 1/],
    ['rejects limit 1001', { ...window, limit: 1_001 }, /limit: must be at most 1000/],
    ['rejects a project id with a quote', { ...window, projectId: "a'b" }, /projectId/],
  ])('%s', async (_, params, message) => {
    await expect(deadLetters(engine.client, params)).rejects.toThrow(message);
  });
});

describe('utf8Prefix', () => {
  it.each([
    ['abc', 2, 'ab'],
    ['abc', 3, 'abc'],
    ['aé', 2, 'a'],
    ['aé', 3, 'aé'],
    ['🚀x', 3, ''],
    ['🚀x', 4, '🚀'],
    ['abc', 0, ''],
  ])('cuts %j to %i bytes: %j', (text, max, prefix) => {
    expect(utf8Prefix(text, max)).toBe(prefix);
  });
});

describe('GET /v1/dead-letters', () => {
  it('answers {project, from, to, limit, total, dead_letters} for the last hour by default', async () => {
    const { status, body, summary, headers } = await get('/v1/dead-letters');
    expect(status).toBe(200);
    expect(headers['cache-control']).toBe('no-store');
    expect(Object.keys(body)).toEqual(['project', 'from', 'to', 'limit', 'total', 'dead_letters']);
    expect(body).toMatchObject({
      project: A,
      from: iso(MINUTE_END - HOUR),
      to: iso(MINUTE_END),
      limit: 100,
      total: A_LAST_HOUR.length,
    });
    expect(body.dead_letters.map((l: DeadLetterRow) => l.failed_at)).toEqual(
      A_LAST_HOUR.map((l) => l.failed_at),
    );
    expect(body.dead_letters[0]).toEqual((await deadLetters(engine.client, window)).dead_letters[0]);
    expect(summary).toMatchObject({ route: 'dead_letters', statusCode: 200, projectId: A, rows: 7 });
  });

  it('takes a window, from and to to the millisecond, and a limit', async () => {
    const days = await get('/v1/dead-letters?window=4d&limit=1');
    expect(days.body).toMatchObject({ limit: 1, total: A_LAST_HOUR.length + 2 + BULK });
    expect(requestIds(days.body.dead_letters)).toEqual(['req-newest']);
    const edge = await get(
      `/v1/dead-letters?from=${iso(MINUTE_END - HOUR - 1)}&to=${iso(MINUTE_END - HOUR + 1)}`,
    );
    expect(requestIds(edge.body.dead_letters)).toEqual(['req-at-from', 'req-before-from']);
  });

  it("shows each key its own project's letters only, and the unreadable records' to none", async () => {
    const a = await get('/v1/dead-letters?window=7d&limit=1000');
    const b = await get('/v1/dead-letters?window=7d', { key: keyB.key });
    expect(JSON.stringify(a.body)).not.toContain('b-secret');
    expect(b.body).toMatchObject({ project: B, total: 1 });
    expect(requestIds(b.body.dead_letters)).toEqual(['req-b-secret']);
    for (const answer of [a, b]) expect(JSON.stringify(answer.body)).not.toContain('nobody-reads-this');
  });

  it("takes ?project= of the key's own project and refuses another with 403", async () => {
    expect((await get('/v1/dead-letters?project=proj-a')).status).toBe(200);
    const other = await get('/v1/dead-letters?project=proj-b');
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
    expect(other.summary).toMatchObject({ route: 'dead_letters', projectId: A });
  });

  it('rejects a request without a key with 401', async () => {
    const { status, body } = await get('/v1/dead-letters', { key: null });
    expect(status).toBe(401);
    expect(body.error.code).toBe('unauthorized');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const { status, response } = await get('/v1/dead-letters', { method: 'HEAD' });
    expect(status).toBe(200);
    expect(response.body).toBe('');
  });

  it.each([
    ['/v1/dead-letters?window=0h', 'window'],
    ['/v1/dead-letters?window=32d', 'window'],
    ['/v1/dead-letters?limit=0', 'limit'],
    ['/v1/dead-letters?limit=1001', 'limit'],
    ['/v1/dead-letters?limit=ten', 'limit'],
    ['/v1/dead-letters?from=2026-01-01T00:00:00Z', 'to'],
    ['/v1/dead-letters?from=yesterday&to=2026-01-01T00:00:00Z', 'from'],
    ['/v1/dead-letters?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
    ['/v1/dead-letters?window=1h&from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z', 'window'],
    ['/v1/dead-letters?step=hour', 'step'],
    ['/v1/dead-letters?metadata.a=b', 'metadata.a'],
    ['/v1/dead-letters?limit=5&limit=6', 'limit'],
  ])('rejects %s with 400 naming %s', async (path, parameter) => {
    const { status, body, summary } = await get(path);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_query');
    expect(body.error.message).toMatch(new RegExp(`^${parameter}: `));
    expect(summary).toMatchObject({ route: 'dead_letters', statusCode: 400, errorCode: 'invalid_query' });
  });

  it('fails with 503 and Retry-After when ClickHouse fails, its error in the summary only', async () => {
    const failing = {
      query: async () => {
        throw new Error('connect ECONNREFUSED 10.0.3.7:8123');
      },
    } as unknown as ClickHouseClient;
    const { status, headers, body, summary } = await get('/v1/dead-letters', {
      with: { ...deps, clickhouse: failing },
    });
    expect(status).toBe(503);
    expect(headers['retry-after']).toBe(String(QUERY_API_LIMITS.retryAfterSec));
    expect(JSON.stringify(body)).not.toContain('10.0.3.7');
    expect(summary.internalError).toContain('10.0.3.7');
  });
});

describe('a page of dead letters fits the load balancer', () => {
  const escapedSize = (response: { body: string }) => Buffer.byteLength(JSON.stringify(response.body));

  it('answers 100 letters of 40 KB events, each line cut to an equal share and flagged', async () => {
    expect(BULK * 2 * Buffer.byteLength(BULKY_LINE)).toBeGreaterThan(QUERY_API_LIMITS.maxEscapedBodyBytes);
    const { status, body, response } = await get(
      `/v1/dead-letters?from=${iso(BULK_AT)}&to=${iso(BULK_AT + BULK)}&limit=100`,
    );
    expect(status).toBe(200);
    expect(escapedSize(response)).toBeLessThanOrEqual(QUERY_API_LIMITS.maxEscapedBodyBytes);
    expect(body.total).toBe(BULK);
    expect(body.dead_letters).toHaveLength(BULK);
    const lengths = new Set<number>();
    for (const letter of body.dead_letters as DeadLetterRow[]) {
      expect(BULKY_LINE.startsWith(letter.line)).toBe(true);
      expect(letter).toMatchObject({ line_bytes: Buffer.byteLength(BULKY_LINE), line_truncated: true });
      expect(letter.reason).toBe('Code: 53. DB::Exception: Type mismatch');
      lengths.add(letter.line.length);
    }
    // An equal share of escaped bytes each: the same start of the same line, give or take a character.
    expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
    expect(Math.min(...lengths)).toBeGreaterThan(1_000);
  });

  it('answers 1,000 letters of the costliest characters to escape', async () => {
    const worst = '\u0001'.repeat(DEAD_LETTER_LIMITS.maxLineBytes);
    const rows = Array.from({ length: 1_000 }, (_, i) => ({
      failed_at_ms: NOW - i,
      source: `${STREAM}/shardId-000000000000:${i}`,
      request_id: `req-${i}`,
      engine_code: 27,
      reason_head: '"'.repeat(DEAD_LETTER_LIMITS.maxReasonBytes),
      reason_bytes: 50_000,
      line_head: worst,
      line_bytes: 1_000_000,
      line_chars: 1_000_000,
    }));
    const bulkyEngine = {
      query: async ({ query }: { query: string }) => ({
        json: async () => (query.includes('count()') ? [{ total: 1_000 }] : rows),
      }),
    } as unknown as ClickHouseClient;
    const { status, body, response } = await get('/v1/dead-letters?limit=1000', {
      with: { ...deps, clickhouse: bulkyEngine },
    });
    expect(status).toBe(200);
    expect(escapedSize(response)).toBeLessThanOrEqual(QUERY_API_LIMITS.maxEscapedBodyBytes);
    expect(body.dead_letters).toHaveLength(1_000);
    for (const letter of body.dead_letters as DeadLetterRow[]) {
      expect(letter.line_truncated).toBe(true);
      expect(letter.reason.endsWith('…')).toBe(true);
    }
  });
});

describe('fitDeadLetters', () => {
  const letter = (reason: string, text: string): DeadLetterRow => ({
    failed_at: iso(NOW),
    source: 's',
    request_id: 'r',
    engine_code: 27,
    reason,
    line: text,
    line_bytes: Buffer.byteLength(text),
    line_truncated: false,
  });
  /** An answer that leaves `room` bytes for the texts. */
  const pageLeaving = (room: number) => {
    const bare = (letters: readonly DeadLetterRow[]) => ({ pad: '', dead_letters: letters });
    return (letters: readonly DeadLetterRow[]) => {
      const fixed = Buffer.byteLength(
        JSON.stringify(JSON.stringify(bare(letters.map((l) => ({ ...l, reason: '', line: '' }))))),
      );
      return { ...bare(letters), pad: 'p'.repeat(QUERY_API_LIMITS.maxEscapedBodyBytes - room - fixed) };
    };
  };

  it('leaves a page that fits as it is', () => {
    const letters = [letter('why', 'x'.repeat(500))];
    expect(fitDeadLetters(letters, pageLeaving(1_000))).toEqual(letters);
  });

  it('keeps the short texts whole and cuts the long ones to an equal share', () => {
    const letters = [letter('short', 'a'.repeat(100)), letter('r'.repeat(900), 'b'.repeat(900))];
    const fitted = fitDeadLetters(letters, pageLeaving(1_000));
    // 1,000 - 5 - 100 leaves 895 for the two long texts: 447 each.
    expect(fitted[0]).toEqual(letters[0]);
    expect(fitted[1]).toMatchObject({
      reason: `${'r'.repeat(444)}…`,
      line: 'b'.repeat(447),
      line_bytes: 900,
      line_truncated: true,
    });
  });

  it('counts escaping: a quote costs four bytes', () => {
    const fitted = fitDeadLetters([letter('', '"'.repeat(1_000))], pageLeaving(400));
    expect(fitted[0]?.line).toBe('"'.repeat(100));
  });
});
