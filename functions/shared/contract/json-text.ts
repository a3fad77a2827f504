/**
 * What `JSON.parse` does not tell: the text-level features of a JSON document on which parsers
 * disagree. `JSON.parse` keeps the last of a key given twice, where ClickHouse refuses the row
 * (or, inside a JSON column, merges the two); and a number such as `1e2` or `1.0` may be read
 * differently by a typed column than by JavaScript. The validator forwards a client's line
 * unchanged only when neither occurs, so that the engine reads exactly what the contract checked.
 *
 * The scan runs on text that `JSON.parse` has already accepted, so it only follows the structure:
 * strings are skipped with `indexOf` (native, fast over long prompts), and only keys and number
 * tokens are looked at.
 */

/** Where in a document: keys of objects and indexes of arrays, from the top. */
export type JsonPath = readonly (string | number)[];

export interface JsonTextScan {
  /** Every key given twice in one object, with the path of its object, in document order. */
  readonly duplicateKeys: readonly { readonly path: JsonPath; readonly key: string }[];
  /**
   * A number token not written as `JSON.stringify` writes its value (`1.0`, `1e2`, `-0`,
   * `0.10000000000000001`), or a key written with an escape sequence: the text is valid, but
   * not the form every reader agrees on.
   */
  readonly nonCanonical: boolean;
}

interface Frame {
  readonly kind: 'object' | 'array';
  /** Keys seen so far (objects). */
  keys?: Set<string>;
  /** The current key (objects) or index (arrays): the path into this frame's child. */
  at: string | number;
  /** Objects: the next string is a key. */
  expectKey: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The index of the quote that ends the string starting at `open` (the opening quote). */
function stringEnd(text: string, open: number): number {
  let close = text.indexOf('"', open + 1);
  for (;;) {
    // A quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0;
    for (let i = close - 1; text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return close;
    close = text.indexOf('"', close + 1);
  }
}

function isNumberChar(c: number): boolean {
  // digits, '-', '+', '.', 'e', 'E'
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

function pathOf(stack: readonly Frame[]): (string | number)[] {
  // The last frame is the object holding the repeated key; its `at` is not part of its path.
  return stack.slice(0, -1).map((frame) => frame.at);
}

/** Keys in a parsed JSON value, all levels: what its text holds when no key is given twice. */
function countKeys(value: unknown): number {
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object') n += countKeys(item);
    return n;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  n = keys.length;
  for (const key of keys) {
    const child = object[key];
    if (child !== null && typeof child === 'object') n += countKeys(child);
  }
  return n;
}

/** Whether a number token is written as `JSON.stringify` writes its value. */
function canonicalNumber(text: string, start: number, end: number): boolean {
  const token = text.slice(start, end);
  return String(Number(token)) === token;
}

/**
 * Scans JSON text (already known to be valid) for keys given twice and for non-canonical tokens.
 * Given the value `JSON.parse` made of the text, it first only counts keys: `JSON.parse` keeps one
 * per name, so the text holds more keys than the value exactly when some key is given twice, and
 * only then are keys compared one by one to name it.
 */
export function scanJsonText(text: string, parsed?: unknown): JsonTextScan {
  return scanJsonRange(text, 0, text.length, parsed);
}

/**
 * `scanJsonText` of `text.slice(start, end)`, reading the text where it lies: a line of a large
 * body is scanned in the body's own string, which is faster to read than a slice of it.
 */
export function scanJsonRange(
  text: string,
  start: number,
  end: number,
  parsed?: unknown,
  cursor: BackslashCursor = { next: NOT_LOOKED },
): JsonTextScan {
  if (parsed !== undefined) {
    const counted = scan(text, false, start, end, cursor);
    const parsedKeys = parsed !== null && typeof parsed === 'object' ? countKeys(parsed) : 0;
    if (counted.keys === parsedKeys) return { duplicateKeys: [], nonCanonical: counted.nonCanonical };
  }
  const named = scan(text, true, start, end, { next: NOT_LOOKED });
  return { duplicateKeys: named.duplicateKeys, nonCanonical: named.nonCanonical };
}

const NOT_LOOKED = -2;

/**
 * Where the next backslash of a text is, shared by the scans of its lines in order: found once
 * per stretch of text, not once per line (a body without any would otherwise be searched to its
 * end for every line).
 */
export interface BackslashCursor {
  next: number;
}

function scan(
  text: string,
  nameDuplicates: boolean,
  start: number,
  n: number,
  cursor: BackslashCursor,
): { keys: number; duplicateKeys: { path: JsonPath; key: string }[]; nonCanonical: boolean } {
  const stack: Frame[] = [];
  const duplicateKeys: { path: JsonPath; key: string }[] = [];
  let nonCanonical = false;
  let keys = 0;
  let i = start;
  // The next backslash at or after the current key, found lazily: most keys are checked for an
  // escape without looking at their characters.
  if (cursor.next === NOT_LOOKED || (cursor.next !== -1 && cursor.next < start))
    cursor.next = text.indexOf('\\', start);
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top?.kind === 'object' && top.expectKey) {
        keys++;
        top.expectKey = false;
        if (cursor.next !== -1 && cursor.next <= i) cursor.next = text.indexOf('\\', i + 1);
        const escaped = cursor.next !== -1 && cursor.next < end;
        if (escaped) nonCanonical = true;
        if (nameDuplicates) {
          const raw = text.slice(i + 1, end);
          const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
          top.keys ??= new Set();
          if (top.keys.has(key)) duplicateKeys.push({ path: pathOf(stack), key });
          else top.keys.add(key);
          top.at = key;
        }
      }
      i = end + 1;
    } else if (c === 0x7b /* { */) {
      stack.push({ kind: 'object', at: '', expectKey: true });
      i++;
    } else if (c === 0x5b /* [ */) {
      stack.push({ kind: 'array', at: 0, expectKey: false });
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.kind === 'object') top.expectKey = true;
      else if (top) top.at = (top.at as number) + 1;
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      // A plain integer of fewer than 16 digits prints as itself (JSON allows no leading zero):
      // the common case, judged as it is read; `-0` and any other form is checked by printing it.
      let end = i + 1;
      let plain = c !== 0x2d || (end < n && text.charCodeAt(end) !== 0x30);
      while (end < n) {
        const d = text.charCodeAt(end);
        if (d >= 0x30 && d <= 0x39) end++;
        else if (isNumberChar(d)) {
          plain = false;
          end++;
        } else break;
      }
      if (plain && end - i - (c === 0x2d ? 1 : 0) >= 16) plain = false;
      if (!plain && !nonCanonical && !canonicalNumber(text, i, end)) nonCanonical = true;
      i = end;
    } else {
      // whitespace, ':', and the letters of true, false and null
      i++;
    }
  }
  return { keys, duplicateKeys, nonCanonical };
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * `metadata.a.b`, `tags[2]`, `metadata["x y"][""]`: a path as the contract's messages name fields.
 * Keys that are not plain words are quoted, so an empty key or one with dots is still readable.
 */
export function describePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && PLAIN_KEY.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}
