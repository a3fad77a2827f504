import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describePath, type JsonPath } from '../../../../functions/shared/contract/json-text.js';
import { normaliseMetadata } from '../../../../functions/shared/contract/metadata.js';

/** `metadata.a.b: message`, as an event's reason names a metadata problem. */
const describeMetadataProblem = (problem: { path: JsonPath; message: string }) =>
  `${describePath(['metadata', ...problem.path])}: ${problem.message}`;

const normalised = (metadata: Record<string, unknown>) => {
  const result = normaliseMetadata(metadata);
  if (!result.ok) throw new Error(describeMetadataProblem(result));
  return result;
};

describe('normaliseMetadata', () => {
  it.each([
    ['flat scalars', { env: 'prod', n: 1, f: 0.5, ok: true }],
    ['nested objects', { a: { b: { c: 'd' } } }],
    ['arrays of anything, nulls and empty objects in them', { a: [1, 'x', true, null, {}, [null]] }],
    ['empty, unicode and quoted keys', { '': 1, ключ: 2, '🔑': 3, 'a"b': 4, 'x y': 5 }],
    ['numbers just inside ±2^63', { big: 2 ** 63 - 1024, small: -(2 ** 63 - 1024), tiny: 5e-324 }],
  ])('keeps %s as they are', (_name, metadata) => {
    const result = normalised(metadata);
    expect(result.value).toEqual(metadata);
    expect(result.changed).toBe(false);
  });

  it.each([
    ['a dotted key as a path', { 'gen_ai.system': 'openai' }, { gen_ai: { system: 'openai' } }],
    [
      'empty segments as empty keys',
      { 'a..b': 1, '.c': 2, 'd.': 3 },
      { a: { '': { b: 1 } }, '': { c: 2 }, d: { '': 3 } },
    ],
    ['two objects at one path, merged', { a: { b: 1 }, 'a.c': 2 }, { a: { b: 1, c: 2 } }],
    ['a null dropped', { a: null, b: 1 }, { b: 1 }],
    ['an empty object dropped, and one left empty', { a: {}, b: { c: null }, d: 1 }, { d: 1 }],
    ['a null beside a dotted key at its path', { a: null, 'a.b': 2 }, { a: { b: 2 } }],
    ['dotted keys inside arrays', { a: [{ 'x.y': 1 }, {}] }, { a: [{ x: { y: 1 } }, {}] }],
    ['a lone surrogate in a value and a key', { 'k\ud800': 'v\udc00' }, { 'k\ufffd': 'v\ufffd' }],
  ])('rewrites %s', (_name, metadata, expected) => {
    const result = normalised(metadata);
    expect(result.value).toEqual(expected);
    expect(result.changed).toBe(true);
  });

  it('rewrites -0 as 0, in objects and arrays', () => {
    const result = normalised({ z: -0, a: [-0] });
    const value = result.value as { z: number; a: number[] };
    expect(Object.is(value.z, -0)).toBe(false);
    expect(Object.is(value.a[0], -0)).toBe(false);
    expect(value).toEqual({ z: 0, a: [0] });
    expect(result.changed).toBe(true);
  });

  it.each([
    ['two keys naming one path', { 'a.b': 1, a: { b: 2 } }, 'metadata.a.b', /is given twice/],
    ['a path that is a value and an object', { a: 1, 'a.b': 2 }, 'metadata.a', /is given twice/],
    ['an array with a path below it', { a: [1], 'a.b': 2 }, 'metadata.a', /is given twice/],
    [
      'a collision inside an array',
      { a: [{ 'x.y': 1, x: { y: 2 } }] },
      'metadata.a[0].x.y',
      /is given twice/,
    ],
    ['a number of 2^63', { n: 2 ** 63 }, 'metadata.n', /too large.*send larger values as strings/],
    ['a number past a double', { n: Number.POSITIVE_INFINITY }, 'metadata.n', /past the largest number/],
    ['a big number in an array', { n: [1, -1e19] }, 'metadata.n[1]', /too large/],
    [
      '__proto__ as a key',
      JSON.parse('{"a":{"__proto__":1}}'),
      'metadata.a.__proto__',
      /"__proto__" is not accepted/,
    ],
    [
      '__proto__ in a dotted key',
      { 'a.__proto__': 1 },
      'metadata["a.__proto__"]',
      /"__proto__" is not accepted/,
    ],
    ['a value that is not JSON', { f: () => 1 }, 'metadata.f', /not a JSON value/],
  ])('rejects %s, naming the path', (_name, metadata, path, message) => {
    const result = normaliseMetadata(metadata as Record<string, unknown>);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = describeMetadataProblem(result);
    expect(text.startsWith(`${path}: `), text).toBe(true);
    expect(text).toMatch(message);
  });

  it('is idempotent: what it returns, it returns again unchanged', () => {
    const key = fc.constantFrom('a', 'b', 'a.b', 'a..c', '', 'é', 'x y', 'b.c.d');
    const leaf = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null));
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(key, tie('value'), { maxKeys: 3 }),
      ),
    }));
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 4 }), (metadata) => {
        const first = normaliseMetadata(metadata);
        if (!first.ok) return;
        const again = normaliseMetadata(first.value);
        expect(again).toEqual({ ok: true, value: first.value, changed: false });
      }),
      { numRuns: 300 },
    );
  });
});
