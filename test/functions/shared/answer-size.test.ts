import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  albBodyBytes,
  albStringBytes,
  escapedBytes,
  escapedCodePointBytes,
  escapedPrefix,
  fairCap,
} from '../../../functions/shared/answer-size.js';

/** A text's size as the handler's 1 MB check measures it: a field of a body, the body a string in JSON. */
const measured = (text: string) =>
  Buffer.byteLength(JSON.stringify(JSON.stringify({ t: text }))) -
  Buffer.byteLength(JSON.stringify(JSON.stringify({ t: '' })));

/**
 * Texts rich in what escaping treats apart: quotes, backslashes, control characters, lone and
 * paired surrogates, multi-byte characters, and any code point besides.
 */
const texts = (maxParts: number) =>
  fc
    .array(
      fc.oneof(
        fc.constantFrom('"', '\\', '\n', '\u0001', '\ud83d', '\ude80', 'é', '…', '🚀', 'a'),
        fc.string({ unit: 'binary', maxLength: 3 }),
      ),
      { maxLength: maxParts },
    )
    .map((parts) => parts.join(''));

describe('albBodyBytes and albStringBytes', () => {
  it("measure a body as the load balancer's result carries it", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), texts(8)), (value) => {
        const body = JSON.stringify(value);
        const inResult = (text: string) => Buffer.byteLength(JSON.stringify({ body: text }));
        expect(albBodyBytes(value)).toBe(inResult(body) - inResult(''));
        expect(albStringBytes(body)).toBe(albBodyBytes(value) + 2);
      }),
    );
  });
});

describe('escapedBytes', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['"', 4],
    ['\\', 4],
    ['\n', 3],
    ['\u0001', 7],
    ['\u007f', 1],
    ['é', 2],
    ['…', 3],
    ['🚀', 4],
    ['\ud83d', 7],
    ['{"a":"b"}', 21],
  ])('%j takes %i bytes', (text, bytes) => {
    expect(escapedBytes(text)).toBe(bytes);
    expect(measured(text)).toBe(bytes);
  });

  it('is the sum of its code points, lone surrogates included', () => {
    fc.assert(
      fc.property(texts(100), (text) => {
        const sum = [...text].reduce((n, char) => n + escapedCodePointBytes(char.codePointAt(0) ?? 0), 0);
        expect(sum).toBe(escapedBytes(text));
        expect(measured(text)).toBe(escapedBytes(text));
      }),
    );
  });
});

describe('escapedPrefix', () => {
  it.each([
    ['abcdef', 3, 'abc'],
    ['abc', 3, 'abc'],
    ['abc', 100, 'abc'],
    ['a"b', 4, 'a'],
    ['a"b', 5, 'a"'],
    ['🚀🚀', 7, '🚀'],
    ['é🚀', 5, 'é'],
    ['abc', 0, ''],
    ['abc', -5, ''],
  ])('cuts %j to %i bytes: %j', (text, max, prefix) => {
    expect(escapedPrefix(text, max)).toBe(prefix);
  });

  it('is the longest start in whole code points that fits', () => {
    fc.assert(
      fc.property(texts(60), fc.nat(400), (text, max) => {
        const prefix = escapedPrefix(text, max);
        expect(text.startsWith(prefix)).toBe(true);
        expect(escapedBytes(prefix)).toBeLessThanOrEqual(max);
        if (prefix !== text) {
          const next = String.fromCodePoint(text.codePointAt(prefix.length) ?? 0);
          expect(escapedBytes(prefix + next)).toBeGreaterThan(max);
          // Never half of a surrogate pair.
          expect(/[\ud800-\udbff]$/.test(prefix) && /^[\udc00-\udfff]/.test(text.slice(prefix.length))).toBe(
            false,
          );
        }
      }),
    );
  });
});

describe('fairCap', () => {
  it.each([
    [[], 100, Number.POSITIVE_INFINITY],
    [[10, 20, 30], 60, Number.POSITIVE_INFINITY],
    [[10, 20, 30], 59, 29],
    [[10, 100, 100], 70, 30],
    [[100, 100, 100], 90, 30],
    [[5, 5, 1_000], 100, 90],
    [[10, 20], 0, 0],
    [[10, 20], -50, 0],
  ])('caps %j in %i at %d', (costs, budget, cap) => {
    expect(fairCap(costs, budget)).toBe(cap);
  });

  it('keeps the sum within the budget and gives the cut texts all it can', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(10_000), { maxLength: 50 }), fc.nat(200_000), (costs, budget) => {
        const cap = fairCap(costs, budget);
        const held = (c: number) => costs.reduce((n, cost) => n + Math.min(cost, c), 0);
        expect(held(cap)).toBeLessThanOrEqual(budget);
        if (cap !== Number.POSITIVE_INFINITY) expect(held(cap + 1)).toBeGreaterThan(budget);
      }),
    );
  });
});
