/**
 * What an answer costs as a Lambda returns it to the load balancer: the answer is JSON, and the
 * Lambda's result carries that JSON as a string inside JSON again, so every text in it is escaped
 * twice. The load balancer refuses a result over 1 MB (it answers 502 instead), so both functions
 * measure their answers here: the validator its listed errors, the query API its whole answer and
 * the dead letters' texts, which it cuts to fit, the longest first.
 */

/** The bytes `text` takes as a string in the load balancer's result: escaped, quotes included. */
export function albStringBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text));
}

/** The bytes `value` takes in a body as the result carries it: its JSON escaped again, without the body's quotes. */
export function albBodyBytes(value: unknown): number {
  return albStringBytes(JSON.stringify(value)) - 2;
}

/** The bytes `text` takes as a string inside a body: escaped twice, without its own quotes. */
export function escapedBytes(text: string): number {
  // Its quotes are `\"` each once the body is escaped: 4 bytes of the 2 that albBodyBytes counts.
  return albBodyBytes(text) - 4;
}

/** The bytes one code point takes escaped twice; a lone surrogate is `\uXXXX`, escaped again. */
export function escapedCodePointBytes(codePoint: number): number {
  if (codePoint === 0x22 || codePoint === 0x5c) return 4; // " → \" → \\\"
  if (
    codePoint === 0x08 ||
    codePoint === 0x09 ||
    codePoint === 0x0a ||
    codePoint === 0x0c ||
    codePoint === 0x0d
  )
    return 3; // \n → \\n
  if (codePoint < 0x20) return 7; // \u0001 → \\u0001
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return 7;
  return codePoint < 0x10000 ? 3 : 4;
}

/** The longest start of `text`, in whole code points, whose `escapedBytes` is at most `maxBytes`. */
export function escapedPrefix(text: string, maxBytes: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    used += escapedCodePointBytes(char.codePointAt(0) ?? 0);
    if (used > maxBytes) return text.slice(0, end);
    end += char.length;
  }
  return text;
}

/**
 * The largest cap such that `costs`, each held to at most the cap, sum to at most `budget`: the
 * texts under it stay whole and the others share what is left equally. Infinity when every cost
 * fits as it is; 0 when the budget is 0 or less.
 */
export function fairCap(costs: readonly number[], budget: number): number {
  const sorted = [...costs].sort((a, b) => a - b);
  let left = budget;
  for (const [i, cost] of sorted.entries()) {
    const share = Math.floor(left / (sorted.length - i));
    if (cost > share) return Math.max(0, share);
    left -= cost;
  }
  return Number.POSITIVE_INFINITY;
}
