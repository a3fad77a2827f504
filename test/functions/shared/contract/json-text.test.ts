import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describePath, scanJsonText } from '../../../../functions/shared/contract/json-text.js';

describe('scanJsonText', () => {
  it.each([
    ['a compact object', '{"a":1,"b":"x","c":[1,2,{"d":true}],"e":null}'],
    ['spaces and tabs', '{ "a" : 1 ,\t"b" : [ 1 , 2 ] }'],
    ['strings holding quotes, backslashes and braces', '{"a":"\\"{[,:","b":"\\\\","c":"\\\\\\""}'],
    ['escapes in values', '{"a":"\\u00e9\\n\\/"}'],
    ['floats and exponents as JSON.stringify writes them', '{"a":0.1,"b":1e+21,"c":-2.5,"d":5e-324}'],
    ['the same key in two objects', '{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}'],
  ])('finds nothing in %s', (_name, text) => {
    const scan = scanJsonText(text, JSON.parse(text));
    expect(scan.duplicateKeys).toEqual([]);
  });

  it.each([
    ['1.0'],
    ['1e2'],
    ['1E+2'],
    ['-0'],
    ['0.10000000000000001'],
    ['100.000'],
    ['9007199254740993'],
    ['1e400'],
  ])('marks the number %s as not canonical', (token) => {
    const text = `{"a":${token}}`;
    expect(scanJsonText(text, JSON.parse(text)).nonCanonical).toBe(true);
  });

  it.each([['0'], ['-1'], ['123456789012345'], ['0.5'], ['1e+21'], ['-2.5e-7'], ['9007199254740992']])(
    'takes the number %s as canonical',
    (token) => {
      const text = `{"a":${token}}`;
      expect(scanJsonText(text, JSON.parse(text)).nonCanonical).toBe(false);
    },
  );

  it('marks a key written with an escape as not canonical, and still reads its name', () => {
    const text = '{"l\\u0061tency_ms":1,"latency_ms":2}';
    const scan = scanJsonText(text, JSON.parse(text));
    expect(scan.nonCanonical).toBe(true);
    expect(scan.duplicateKeys).toEqual([{ path: [], key: 'latency_ms' }]);
  });

  it.each([
    ['at the top', '{"a":1,"b":2,"a":3}', [{ path: [], key: 'a' }]],
    ['inside an object', '{"m":{"x":1,"x":{"y":2}}}', [{ path: ['m'], key: 'x' }]],
    ['inside an array', '{"m":[{"x":1},{"x":1,"x":2}]}', [{ path: ['m', 1], key: 'x' }]],
    [
      'inside the value a repeat drops',
      '{"m":{"k":{"a":1,"a":2}},"m":{}}',
      [
        { path: ['m', 'k'], key: 'a' },
        { path: [], key: 'm' },
      ],
    ],
    ['an empty key', '{"":1,"":2}', [{ path: [], key: '' }]],
  ])('fails on a key given twice %s, naming it', (_name, text, expected) => {
    expect(scanJsonText(text, JSON.parse(text)).duplicateKeys).toEqual(expected);
    // Without the parsed value, every key is compared: the same answer.
    expect(scanJsonText(text).duplicateKeys).toEqual(expected);
  });

  it('agrees with JSON.parse on every generated document: text keys = parsed keys unless one repeats', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), (value, repeat) => {
        let text = JSON.stringify(value);
        // Give a key twice by writing an object's first entry again at its end.
        const first = /\{("(?:[^"\\]|\\.)*"):/.exec(text);
        if (repeat && first) {
          const at = first.index;
          const close = closingBrace(text, at);
          text = `${text.slice(0, close)},${first[1]}:0${text.slice(close)}`;
        }
        const scan = scanJsonText(text, JSON.parse(text));
        expect(scan.duplicateKeys.length > 0).toBe(repeat && first !== null);
        expect(scanJsonText(text).duplicateKeys).toEqual(scan.duplicateKeys);
      }),
      { numRuns: 300 },
    );
  });
});

/** The index of the `}` that closes the object opening at `open`. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error('unbalanced');
}

describe('describePath', () => {
  it.each([
    [['latency_ms'], 'latency_ms'],
    [['metadata', 'a', 'b'], 'metadata.a.b'],
    [['tags', 2], 'tags[2]'],
    [['metadata', 'a.b', ''], 'metadata["a.b"][""]'],
    [['metadata', 'x y', 0, 'k'], 'metadata["x y"][0].k'],
  ])('names %j as %s', (path, text) => {
    expect(describePath(path)).toBe(text);
  });
});
