import type { ClickHouseClient } from '@clickhouse/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEvent, type NormalizedEvent } from '../../functions/shared/contract/event.js';
import type { IngestResult } from '../../functions/shared/contract/ingest-api.js';
import { ClickHouseLoaderStore } from '../../functions/shared/load/clickhouse-store.js';
import { loadBatch } from '../../functions/shared/load/core.js';
import { embeddedClickHouse, rows } from '../helpers/clickhouse.js';
import { gzip, harness } from '../helpers/validator-harness.js';

/**
 * The contract closed at both ends, tried with event TEXT, not only values passed through
 * JSON.stringify: keys given twice, every escape, numbers of every form and magnitude, lone
 * surrogates, metadata with dotted, empty, unicode and colliding keys, nulls and empty objects.
 * For every line, either the validator rejects it naming the field at fault, or the loader stores
 * it and the row equals what `checkEvent` says the event is. Nothing accepted may be refused by
 * the engine (no dead letters), and nothing may be stored that the contract did not describe.
 */

let ch: Awaited<ReturnType<typeof embeddedClickHouse>>;
let client: ClickHouseClient;
beforeAll(async () => {
  ch = await embeddedClickHouse();
  client = ch.client;
});
afterAll(async () => ch.close());

// The real clock: the tables' TTLs drop rows and prompts far in the past.
const NOW = Math.floor(Date.now() / 1000) * 1000;

/** A JSON document as a tree that keeps what text-level features it is written with. */
type Json =
  | { readonly t: 'string'; readonly value: string }
  | { readonly t: 'number'; readonly text: string }
  | { readonly t: 'literal'; readonly text: 'true' | 'false' | 'null' }
  | { readonly t: 'array'; readonly items: readonly Json[] }
  | { readonly t: 'object'; readonly entries: readonly (readonly [string, Json])[] };

const str = (value: string): Json => ({ t: 'string', value });
const num = (text: string): Json => ({ t: 'number', text });
const obj = (entries: readonly (readonly [string, Json])[]): Json => ({ t: 'object', entries });

/** JSON's two-character escapes of control characters; the others are written \u00XX. */
const SHORT_ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/** How a string is written: each character raw where JSON allows, or escaped in any legal way. */
const STYLES = ['raw', 'unicode-lower', 'unicode-upper', 'mixed'] as const;
type Style = (typeof STYLES)[number];

function writeString(value: string, style: Style, salt: number): string {
  let out = '"';
  const unicodeEscape = (code: number) => {
    const hex = code.toString(16).padStart(4, '0');
    return `\\u${style === 'unicode-upper' ? hex.toUpperCase() : hex}`;
  };
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const isSurrogate = code >= 0xd800 && code <= 0xdfff;
    const pairsWithNext = code >= 0xd800 && code <= 0xdbff && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const escapeAnyway =
      style === 'unicode-lower' || style === 'unicode-upper' || (style === 'mixed' && (i + salt) % 3 === 0);
    if (pairsWithNext) {
      // A pair is one character: raw (UTF-8 can carry it) or as two escapes, never split.
      out += escapeAnyway
        ? unicodeEscape(code) + unicodeEscape(value.charCodeAt(i + 1))
        : value.slice(i, i + 2);
      i++;
      continue;
    }
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code === 0x2f && style === 'mixed') out += '\\/';
    else if (code < 0x20) out += SHORT_ESCAPES[code] ?? unicodeEscape(code);
    // A lone surrogate has no UTF-8 form: JSON can only carry it as an escape.
    else if (escapeAnyway || isSurrogate) out += unicodeEscape(code);
    else out += value[i];
  }
  return `${out}"`;
}

/** Writes a tree as JSON text with the given spacing and string style. */
function write(node: Json, style: Style, space: string, salt = 0): string {
  switch (node.t) {
    case 'string':
      return writeString(node.value, style, salt);
    case 'number':
    case 'literal':
      return node.text;
    case 'array':
      return `[${space}${node.items.map((item, i) => write(item, style, space, salt + i)).join(`,${space}`)}${space}]`;
    case 'object':
      return `{${space}${node.entries
        .map(
          ([k, v], i) =>
            `${writeString(k, style, salt + i)}${space}:${space}${write(v, style, space, salt + i + 1)}`,
        )
        .join(`,${space}`)}${space}}`;
  }
}

// Text: ASCII, accents, CJK, emoji (surrogate pairs), control characters, quotes and backslashes,
// lone surrogates, and U+2028.
const character = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'abcxyz019 _-./:') },
  fc.constantFrom(
    'é',
    'ß',
    '中',
    '😀',
    '\u2028',
    '\u0000',
    '\u001f',
    '"',
    '\\',
    '\n',
    '\t',
    '\b',
    '\f',
    '\r',
    '/',
  ),
  fc.constantFrom('\ud800', '\udfff', '\udbff', '\udc00'),
);
const text = (maxLength: number) => fc.array(character, { maxLength }).map((chars) => chars.join(''));

/** A number's value written in a form the generator picks: canonical or not, in range or not. */
const numberText = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String) },
  {
    weight: 2,
    arbitrary: fc
      .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
      .map((d) => JSON.stringify(d)),
  },
  fc.constantFrom(
    '-0',
    '0.0',
    '1.0',
    '1e2',
    '1E+2',
    '0.1e1',
    '100.000',
    '2.5e-3',
    '5e-324',
    '1e-400',
    '-1e-400',
    '1e400',
    '-1e400',
    '9007199254740993',
    '9223372036854775807',
    '9223372036854775808',
    '-9223372036854775808',
    '-9223372036854775809',
    '18446744073709551615',
    '18446744073709551616',
    '123456789012345678901234567890',
    '1e19',
    '1.5e300',
    '0.30000000000000004',
  ),
);

const METADATA_KEYS = [
  'a',
  'b',
  'a.b',
  'a..b',
  '.a',
  'a.',
  'b.c.d',
  '',
  'ключ',
  '🔑',
  'x y',
  '1',
  'a"b',
  'a\\b',
  '__proto__',
  'constructor',
  'é',
];
const metadataKey = fc.oneof(fc.constantFrom(...METADATA_KEYS), text(6));

const scalar: fc.Arbitrary<Json> = fc.oneof(
  text(12).map(str),
  numberText.map(num),
  fc.constantFrom<Json>(
    { t: 'literal', text: 'true' },
    { t: 'literal', text: 'false' },
    { t: 'literal', text: 'null' },
  ),
  // Strings a reader might take for something else.
  fc
    .constantFrom('2026-01-01', '2026-01-01T00:00:00Z', '2026-01-01 00:00:00', '123', '1e5', 'true', 'null')
    .map(str),
);

const { metadataValue } = fc.letrec<{ metadataValue: Json; entries: Json }>((tie) => ({
  metadataValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc
      .array(fc.oneof(scalar, tie('entries')), { maxLength: 4 })
      .map((items): Json => ({ t: 'array', items })),
    tie('entries'),
  ),
  entries: fc.array(fc.tuple(metadataKey, tie('metadataValue')), { maxLength: 4 }).chain((entries) =>
    // Sometimes a key given twice in the same object.
    fc.integer({ min: 0, max: 9 }).map((dice): Json => {
      const repeat = dice === 0;
      const first = entries[0];
      return obj(repeat && first ? [...entries, [first[0], str('again')]] : entries);
    }),
  ),
}));

/** Top-level fields: mostly valid, sometimes written oddly, sometimes broken. */
interface Draft {
  readonly entries: (readonly [string, Json])[];
}

let serial = 0;
const hex = (n: number, length: number) => n.toString(16).padStart(length, '0');

const eventText = fc
  .record({
    metadata: fc.option(
      fc.oneof(
        { weight: 5, arbitrary: metadataValue.filter((m) => m.t === 'object') },
        metadataValue,
        fc.constant<Json>(obj([])),
      ),
      { nil: undefined },
    ),
    model: fc.oneof({ weight: 3, arbitrary: fc.constant('gpt-4o-mini') }, text(10)),
    latency: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 90_000 }).map(String) },
      { weight: 1, arbitrary: numberText },
    ),
    tokens: fc.option(fc.oneof(fc.integer({ min: 0, max: 5000 }).map(String), numberText), {
      nil: undefined,
    }),
    prompt: fc.option(
      fc.oneof(
        text(40).map(str),
        fc.constant<Json>({ t: 'literal', text: 'true' }),
        numberText.map(num),
        fc.array(fc.tuple(fc.constantFrom('system', 'user'), text(20)), { maxLength: 3 }).map(
          (messages): Json => ({
            t: 'array',
            items: messages.map(([role, content]) =>
              obj([
                ['role', str(role)],
                ['content', str(content)],
              ]),
            ),
          }),
        ),
      ),
      { nil: undefined },
    ),
    tags: fc.option(fc.array(text(5), { maxLength: 3 }), { nil: undefined }),
    timestampAsNumber: fc.boolean(),
    ageMs: fc.integer({ min: 0, max: 3 * 86_400_000 }),
    repeatTopLevel: fc.constantFrom(undefined, 'latency_ms', 'model', 'metadata'),
    style: fc.constantFrom(...STYLES),
    space: fc.constantFrom('', ' ', '\t', ' \t '),
  })
  .map((g) => {
    serial++;
    const at = NOW - g.ageMs;
    const draft: Draft = {
      entries: [
        ['trace_id', str(hex(serial, 32))],
        ['span_id', str(hex(serial + 1, 16))],
        ['timestamp', g.timestampAsNumber ? num(String(at)) : str(new Date(at).toISOString())],
        ['model', str(g.model)],
        ['latency_ms', num(g.latency)],
      ],
    };
    if (g.tokens !== undefined) draft.entries.push(['input_tokens', num(g.tokens)]);
    if (g.prompt !== undefined) draft.entries.push(['prompt', g.prompt]);
    if (g.tags !== undefined) draft.entries.push(['tags', { t: 'array', items: g.tags.map(str) }]);
    if (g.metadata !== undefined) draft.entries.push(['metadata', g.metadata]);
    if (g.repeatTopLevel) {
      const again = draft.entries.find(([k]) => k === g.repeatTopLevel);
      if (again) draft.entries.push(again);
    }
    return write(obj(draft.entries), g.style, g.space, serial);
  });

const FIELDS = [
  'trace_id',
  'span_id',
  'timestamp',
  'model',
  'latency_ms',
  'input_tokens',
  'prompt',
  'tags',
  'metadata',
] as const;

type Row = Omit<NormalizedEvent, 'timestamp' | 'project_id'> & { timestamp: string };

describe('the contract, from event text to the stored row', () => {
  it('rejects a line naming the field at fault, or stores exactly the normalised event', async () => {
    const store = new ClickHouseLoaderStore(client);
    let accepted = 0;
    let rejected = 0;
    let batch = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(eventText, { minLength: 1, maxLength: 6 }), async (lines) => {
        // Shrinking sends the same events again, which the loader rightly counts once: start afresh.
        for (const table of ['events', 'loaded_requests'])
          await client.command({ query: `TRUNCATE TABLE ${table}` });
        const h = harness({ deps: { now: () => NOW } });
        const { response } = await h.post(gzip(lines.join('\n')), {
          'content-type': 'application/x-ndjson',
          'content-encoding': 'gzip',
        });
        expect([200, 207]).toContain(response.statusCode);
        const answer = JSON.parse(response.body) as IngestResult;
        const refused = new Map(answer.errors.map((e) => [e.index, e]));

        const expected: NormalizedEvent[] = [];
        lines.forEach((line, index) => {
          const error = refused.get(index);
          if (error) {
            rejected++;
            expect(error.retryable).toBe(false);
            // Named: the message starts with the field (or path) at fault.
            const named = FIELDS.some((f) =>
              [':', '.', '['].some((c) => error.message.startsWith(`${f}${c}`)),
            );
            expect(named, error.message).toBe(true);
            return;
          }
          // What the server read: the line as UTF-8 bytes.
          const check = checkEvent(JSON.parse(Buffer.from(line).toString('utf8')), 'proj-a');
          // What the validator accepted, the contract accepts.
          expect(check.ok, line).toBe(true);
          if (check.ok) expected.push(check.event);
        });
        accepted += expected.length;
        expect(answer.accepted).toBe(expected.length);

        const summary = await loadBatch(
          {
            source: `property/${++batch}`,
            records: h.written.map((r, i) => ({ data: Buffer.from(r.data), sequenceNumber: String(i) })),
          },
          { store, now: () => NOW },
        );
        // Nothing acknowledged is refused by the engine.
        expect(summary.deadLetters).toBe(0);
        expect(summary.events).toBe(expected.length);

        if (expected.length === 0) return;
        const stored = await rows<Row>(
          client,
          `SELECT trace_id, span_id, parent_span_id, timestamp, name, model, input_tokens, output_tokens,
                  tokens_used, latency_ms, cost_cents, status, error_message, user_id, session_id, tags,
                  metadata, prompt, response
           FROM events WHERE project_id = 'proj-a' AND trace_id IN {ids:Array(String)}`,
          { ids: expected.map((e) => e.trace_id) },
        );
        expect(stored).toHaveLength(expected.length);
        const byId = new Map(stored.map((r) => [r.trace_id, r]));
        for (const want of expected) {
          const { project_id: _, ...fields } = want;
          const got = byId.get(want.trace_id);
          expect(got && { ...got, timestamp: `${got.timestamp.replace(' ', 'T')}Z` }).toEqual(fields);
        }
      }),
      { numRuns: 200 },
    );
    // The generator reaches both ends of the contract.
    expect(accepted).toBeGreaterThan(40);
    expect(rejected).toBeGreaterThan(40);
  }, 120_000);
});
